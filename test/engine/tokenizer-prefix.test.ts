/**
 * A long text is tokenized only as far as the model reads (src/engine/prefix-cut.ts): these
 * tests hold its ids equal to `full tokenization, then truncation` by the same library.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Tokenizer } from '@huggingface/tokenizers';
import fc from 'fast-check';
import { BUNDLED_MODEL_DIR } from '../../src/config.js';
import { cutRules } from '../../src/engine/prefix-cut.js';
import { FIRST_WINDOW_CHARS_PER_ID, ModelTokenizer } from '../../src/engine/tokenizer.js';
import { resolveModelFiles } from '../../src/model/model-files.js';
import { readSst2 } from '../../devkit/sst2-sentences.js';
import { shared, skipWithoutShared } from '../../devkit/shared-data.js';

const files = resolveModelFiles(BUNDLED_MODEL_DIR, 'fp32');
const json = JSON.parse(readFileSync(join(BUNDLED_MODEL_DIR, 'tokenizer.json'), 'utf8')) as object;
const config = JSON.parse(
  readFileSync(join(BUNDLED_MODEL_DIR, 'tokenizer_config.json'), 'utf8'),
) as Record<string, unknown>;
/** The library on its own: the reference every prefix is checked against. */
const library = new Tokenizer(json, config);

const tokenizers = new Map<number, ModelTokenizer>();
/** The service's tokenizer for a model of `maxLength` positions (small ones: small windows). */
function tokenizerFor(maxLength: number): ModelTokenizer {
  let tokenizer = tokenizers.get(maxLength);
  if (!tokenizer)
    tokenizers.set(maxLength, (tokenizer = ModelTokenizer.fromModelFiles(files, maxLength)));
  return tokenizer;
}

/** Full tokenization, then truncation to each of `maxLengths` with the final [SEP] kept. */
function reference(text: string, ...maxLengths: number[]): number[][] {
  const ids = library.encode(text, { add_special_tokens: false }).ids;
  return maxLengths.map((maxLength) => [101, ...ids.slice(0, maxLength - 2), 102]);
}

/** Lengths of the strings the service's tokenizer handed the library while `run` ran. */
function lengthsTokenized(tokenizer: ModelTokenizer, run: () => void): number[] {
  const inner = (tokenizer as unknown as { tokenizer: Tokenizer }).tokenizer;
  const encode = inner.encode.bind(inner);
  const lengths: number[] = [];
  inner.encode = (text: string, options?: Parameters<Tokenizer['encode']>[1]) => {
    lengths.push(text.length);
    return encode(text, options);
  };
  try {
    run();
  } finally {
    inner.encode = encode;
  }
  return lengths;
}

let checked = 0;
/** Checks `text` against full tokenization for models of 512 and of 64 positions. */
function assertSameIds(text: string, what: string): void {
  const expected = reference(text, 512, 64);
  assert.deepEqual(tokenizerFor(512).encode(text), expected[0], `${what} (512)`);
  assert.deepEqual(tokenizerFor(64).encode(text), expected[1], `${what} (64)`);
  checked += 2;
}

const SQUAD =
  'data/distilbert-base-uncased/fixtures/squad_dev_v1.1_questions_bert_uncased_ids.jsonl';
const SST2 = 'data/sst2/train-part-1.tsv';

test(
  'long texts from SST-2 and SQuAD: prefix ids equal full tokenization then truncation',
  { skip: skipWithoutShared(SQUAD) || skipWithoutShared(SST2) },
  () => {
    const questions = readFileSync(shared(SQUAD), 'utf8')
      .trim()
      .split('\n')
      .map((line) => (JSON.parse(line) as { text: string }).text);
    assert.equal(questions.length, 10_570);
    const sentences = readSst2(shared(SST2)).map((row) => row.sentence.trim());
    const squad = questions.join(' ');
    const sst2 = sentences.join('\n');
    const bases: [string, string][] = [];
    for (let start = 0; start < 200_000; start += 49_991) {
      bases.push([`SQuAD from ${start}`, squad.slice(start, start + 16_000)]);
      bases.push([`SST-2 from ${start}`, sst2.slice(start, start + 16_000)]);
    }
    const variants: [string, (text: string) => string][] = [
      ['as is', (t) => t],
      ['no whitespace at all', (t) => t.replace(/\s+/g, '')],
      ['words run together, no punctuation', (t) => t.replace(/[\s\p{P}]+/gu, '')],
      ['spaces as CJK', (t) => t.replace(/ /g, '的')],
      ['spaces as ideographic spaces', (t) => t.replace(/ /g, '\u3000')],
      [
        'CJK text',
        (t) => t.replace(/[a-z]/g, (c) => String.fromCharCode(0x4e00 + c.charCodeAt(0))),
      ],
      ['runs of punctuation', (t) => t.replace(/ /g, (_, i: number) => '.!?,;:…'.repeat(i % 7))],
      ['only dots between words', (t) => t.replace(/\s+/g, '...')],
      ['emoji instead of spaces', (t) => t.replace(/ /g, '😀')],
      ['emoji and skin tones', (t) => t.replace(/ /g, ' 👍🏻')],
      ['combining accents', (t) => t.replace(/[aeiou]/g, (c) => `${c}\u0301`)],
      ['combining accents after spaces', (t) => t.replace(/ /g, ' \u0308')],
      ['precomposed accents, uppercase', (t) => t.replace(/e/g, 'É').toUpperCase()],
      ['Greek sigma before dots', (t) => t.replace(/s /g, 'Σ. ').replace(/t/g, 'Σ')],
      ['long words', (t) => t.replace(/ /g, (_, i: number) => (i % 3 ? '' : ' '))],
      ['special tokens', (t) => t.replace(/ the /g, ' [MASK] [SEP]x ')],
      ['control characters', (t) => t.replace(/ /g, '\u0000 \u200b')],
      ['lone surrogates', (t) => t.replace(/ a /g, ' \ud83d a\ude00 ')],
    ];
    for (const [base, text] of bases) {
      for (const [variant, change] of variants) {
        assertSameIds(change(text), `${base}, ${variant}`);
      }
    }
    // The room-th id ending just before, at and just after each of the first two windows' edges.
    const room = 510;
    const spaces = [...squad.slice(0, 10_000).matchAll(/ /g)].map((m) => m.index);
    let low = 0;
    let high = spaces.length - 1; // the first space whose prefix holds `room` ids
    while (low < high) {
      const mid = (low + high) >> 1;
      const ids = library.encode(squad.slice(0, spaces[mid]), { add_special_tokens: false });
      if (ids.ids.length >= room) high = mid;
      else low = mid + 1;
    }
    const end = spaces[low] as number;
    for (const edge of [room * FIRST_WINDOW_CHARS_PER_ID, 2 * room * FIRST_WINDOW_CHARS_PER_ID]) {
      for (const delta of [-2, -1, 0, 1, 2]) {
        const padded = ' '.repeat(edge - end + delta) + squad.slice(0, 20_000);
        assertSameIds(
          padded,
          `id ${room} ends at window edge ${edge} ${delta >= 0 ? '+' : ''}${delta}`,
        );
        assertSameIds(padded.replace(/ /g, '\n'), `the same, newlines, edge ${edge} ${delta}`);
      }
    }
    assert.ok(checked >= 400, `${checked} texts checked`);
  },
);

/** Pieces the generated texts are made of: every class of character the cut rules name. */
const PIECES = [
  'a',
  'Z',
  'the',
  'word',
  'movie',
  '7',
  '42',
  'x'.repeat(60),
  ' ',
  '  ',
  '\n',
  '\t',
  '\r\n',
  '.',
  '!',
  ',',
  "'",
  ':',
  '^',
  '`',
  '-',
  '[',
  ']',
  '…',
  '—',
  '¿',
  'Σ',
  'ΑΣ',
  'σ',
  'ς',
  'İ',
  'ß',
  '中',
  '文',
  '的',
  '豈',
  '𠀀',
  '😀',
  '👍🏻',
  '👨‍👩‍👧',
  '\ufe0f',
  'e\u0301',
  '\u0301',
  '\u0308',
  'é',
  'Å',
  'ﬁ',
  '\u0000',
  '\ufffd',
  '\u200b',
  '\ufeff',
  '\u00ad',
  '\u3000',
  '\u00a0',
  '\u2028',
  '\ud83d',
  '\ude00',
  '[MASK]',
  '[SEP]',
  '[UNK]',
  '[mask]',
  'MASK',
  'ग्र',
  'ا',
  'ё',
];
const piece = fc.constantFrom(...PIECES);
const textArbitrary = fc
  .array(
    fc.oneof(
      { arbitrary: piece, weight: 4 },
      {
        arbitrary: fc.tuple(piece, fc.integer({ min: 2, max: 240 })).map(([p, n]) => p.repeat(n)),
        weight: 1,
      },
    ),
    { maxLength: 120 },
  )
  .map((parts) => parts.join(''));

test('generated texts mixing every class of character: the same ids as full tokenization', () => {
  let prefixUsed = 0;
  fc.assert(
    fc.property(textArbitrary, fc.constantFrom(3, 4, 5, 8, 17, 64), (text, maxLength) => {
      const tokenizer = tokenizerFor(maxLength);
      let ids: number[] = [];
      const lengths = lengthsTokenized(tokenizer, () => (ids = tokenizer.encode(text)));
      if (lengths.every((length) => length < text.length)) prefixUsed++;
      assert.deepEqual(ids, reference(text, maxLength)[0]);
    }),
    { numRuns: 3000 },
  );
  // A property that never took the prefix path would prove nothing about it.
  assert.ok(prefixUsed > 500, `only ${prefixUsed} of 3000 texts were tokenized by prefix`);
});

test('a 4 MB text costs a few kilobytes of tokenizing, with the ids of the whole', () => {
  const tokenizer = tokenizerFor(512);
  const review = 'The acting is superb, the plot thin; still, I cried twice. ';
  // Checked against full tokenization here (seconds each); the other classes are checked on
  // shorter texts above.
  const texts: [string, string, boolean][] = [
    ['prose', review.repeat(Math.ceil(4e6 / review.length)), true],
    ['one letter, no space', 'a'.repeat(4e6), true],
    ['letters and digits, no space', 'QmFzZTY0IGRhdGE'.repeat(266_667), false],
    ['dots', '.'.repeat(4e6), false],
    ['CJK', '中文的'.repeat(1_333_334), false],
  ];
  for (const [what, text, compare] of texts) {
    let ids: number[] = [];
    const lengths = lengthsTokenized(tokenizer, () => (ids = tokenizer.encode(text)));
    assert.ok(
      Math.max(...lengths) < 64_000,
      `${what}: tokenized ${Math.max(...lengths)} characters`,
    );
    assert.equal(ids.length, what.includes('no space') ? 3 : 512, what);
    if (compare) assert.deepEqual(ids, reference(text, 512)[0], what);
  }
});

test('tokenizers the argument does not cover tokenize the whole text', () => {
  const bert = json as Parameters<typeof cutRules>[0];
  assert.ok(cutRules(bert, config), 'the bundled uncased BERT tokenizer is covered');
  const cased = { ...bert, normalizer: { ...bert.normalizer, lowercase: false } };
  assert.equal(cutRules(cased, config), undefined, 'cased');
  const normalizedAdded = {
    ...bert,
    added_tokens: [{ content: '[X]', normalized: true, special: false }],
  };
  assert.equal(
    cutRules(normalizedAdded, config),
    undefined,
    'added token matched after normalizing',
  );
  assert.equal(cutRules({ ...bert, pre_tokenizer: { type: 'Whitespace' } }, config), undefined);
  // ... and such a tokenizer still truncates correctly, the slow way.
  const dir = mkdtempSync(join(tmpdir(), 'cased-'));
  writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(cased));
  const tokenizer = ModelTokenizer.fromModelFiles(
    { ...files, dir, tokenizerJsonPath: join(dir, 'tokenizer.json') },
    512,
  );
  const text = 'Lowercase is off here. '.repeat(2000);
  const lengths = lengthsTokenized(tokenizer, () => tokenizer.encode(text));
  assert.deepEqual(lengths, [text.length]);
  assert.equal(tokenizer.encode(text).length, 512);
});
