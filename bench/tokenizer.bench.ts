/**
 * Tokenizer libraries side by side on the 10,570 SQuAD questions of ../shared (or the SST-2
 * dev set): @huggingface/tokenizers (pure TypeScript, synchronous) against `tokenizers` (the
 * Rust library through N-API, asynchronous), one call per text and batched, and the service's
 * own `ModelTokenizer.encode` (the library behind its printable-ASCII path and word caches).
 * Checks that all give Hugging Face's ids before timing them.
 *   npm run bench:tokenizer
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import rust from 'tokenizers';
import { BUNDLED_MODEL_DIR } from '../src/config.js';
import { ModelTokenizer } from '../src/engine/tokenizer.js';
import { rememberWordPieces } from '../src/engine/word-piece-cache.js';
import { resolveModelFiles } from '../src/model/model-files.js';
import { shared, skipWithoutShared } from '../devkit/shared-data.js';

const FIXTURE =
  'data/distilbert-base-uncased/fixtures/squad_dev_v1.1_questions_bert_uncased_ids.jsonl';
if (skipWithoutShared(FIXTURE)) {
  console.error(`bench:tokenizer needs ${shared(FIXTURE)}`);
  process.exit(1);
}
const rows = readFileSync(shared(FIXTURE), 'utf8')
  .trim()
  .split('\n')
  .map((line) => JSON.parse(line) as { text: string; ids: number[] });
const texts = rows.map((r) => r.text);

const bundled = (name: string): object =>
  JSON.parse(readFileSync(join(BUNDLED_MODEL_DIR, name), 'utf8')) as object;
const library = (): Tokenizer =>
  new Tokenizer(bundled('tokenizer.json'), bundled('tokenizer_config.json'));
const ts = library();
const rs = rust.Tokenizer.fromFile(join(BUNDLED_MODEL_DIR, 'tokenizer.json'));
const remembering = library();
rememberWordPieces(remembering);
const service = ModelTokenizer.fromModelFiles(resolveModelFiles(BUNDLED_MODEL_DIR, 'fp32'), 512);

for (const { text, ids } of rows) {
  if (ts.encode(text, { add_special_tokens: false }).ids.join() !== ids.join())
    throw new Error(`TS differs on ${text}`);
  const e = await rs.encode(text, null, { addSpecialTokens: false });
  if (e.getIds().join() !== ids.join()) throw new Error(`Rust differs on ${text}`);
  if (service.encode(text).join() !== [101, ...ids, 102].join())
    throw new Error(`the service differs on ${text}`);
}

/** Best of `runs` timings of `fn`, in µs per text. */
async function best(fn: () => Promise<void> | void, runs = 5): Promise<number> {
  let min = Infinity;
  for (let r = 0; r < runs; r++) {
    const start = performance.now();
    await fn();
    min = Math.min(min, performance.now() - start);
  }
  return (min * 1000) / texts.length;
}

const results: [string, number][] = [
  [
    '@huggingface/tokenizers, one call per text (sync)',
    await best(() => void texts.forEach((t) => ts.encode(t, { add_special_tokens: false }))),
  ],
  [
    '@huggingface/tokenizers, word-pieces remembered (word-piece-cache.ts)',
    await best(
      () => void texts.forEach((t) => remembering.encode(t, { add_special_tokens: false })),
    ),
  ],
  [
    "the service's ModelTokenizer.encode (ascii-bert.ts, [CLS]/[SEP] added)",
    await best(() => void texts.forEach((t) => service.encode(t))),
  ],
  [
    'tokenizers (Rust), one call per text (await)',
    await best(async () => {
      for (const t of texts) await rs.encode(t, null, { addSpecialTokens: false });
    }),
  ],
  [
    'tokenizers (Rust), encodeBatch of 32',
    await best(async () => {
      for (let i = 0; i < texts.length; i += 32)
        await rs.encodeBatch(texts.slice(i, i + 32), { addSpecialTokens: false });
    }),
  ],
  [
    'tokenizers (Rust), one encodeBatch of all',
    await best(async () => void (await rs.encodeBatch(texts, { addSpecialTokens: false }))),
  ],
];
const base = results[0]?.[1] as number;
console.log(`${texts.length} texts, ids identical to Hugging Face's for every row\n`);
console.log(
  '| library and call | µs per text | relative to @huggingface/tokenizers |\n|---|---:|---:|',
);
for (const [name, us] of results)
  console.log(`| ${name} | ${us.toFixed(1)} | ${(us / base).toFixed(2)}× |`);

// Long texts: the service's tokenizer, which tokenizes only a prefix (src/engine/prefix-cut.ts),
// against full tokenization then truncation to 512; ids checked equal before timing.
const fullThenTruncate = (text: string): number[] => [
  101,
  ...ts.encode(text, { add_special_tokens: false }).ids.slice(0, 510),
  102,
];
const prose = texts.join(' ');
const fourMb = (unit: string): string => unit.repeat(Math.ceil(4e6 / unit.length)).slice(0, 4e6);
const long: [string, string][] = [
  ['24 kB review (SQuAD questions, 4,371 words)', prose.slice(0, 24_000)],
  ['4 MB text (SQuAD questions repeated)', fourMb(prose)],
  ['4 MB, no whitespace (the same, spaces removed)', fourMb(prose.replace(/\s+/g, ''))],
  ['1M emoji, 4 MB of UTF-8 (no safe cut: tokenized whole)', '😀'.repeat(1e6)],
];
/** Best of `runs` timings of `fn`, in ms. */
function bestMs(fn: () => void, runs: number): number {
  let min = Infinity;
  for (let r = 0; r < runs; r++) {
    const start = performance.now();
    fn();
    min = Math.min(min, performance.now() - start);
  }
  return min;
}
console.log(
  '\n| text | prefix (service) ms | full then truncate ms | full / prefix |\n|---|---:|---:|---:|',
);
for (const [name, text] of long) {
  if (service.encode(text).join() !== fullThenTruncate(text).join())
    throw new Error(`${name} differs`);
  const prefix = bestMs(() => service.encode(text), 5);
  const full = bestMs(() => fullThenTruncate(text), text.length > 1e6 ? 2 : 5);
  console.log(
    `| ${name} | ${prefix.toFixed(2)} | ${full.toFixed(1)} | ${(full / prefix).toFixed(0)}× |`,
  );
}
