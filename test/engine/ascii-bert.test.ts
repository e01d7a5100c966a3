/**
 * The printable-ASCII path (src/engine/ascii-bert.ts) must give exactly the library's ids, and
 * must be the path taken for such text: on real sentences and questions, on generated ASCII
 * built to hit every branch (punctuation runs, digits, case, added tokens, words too long for
 * WordPiece, words it cannot split), and with a cache so small that nearly every word is
 * evicted before it is met again.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import fc from 'fast-check';
import { asciiBertIds, type AsciiIds } from '../../src/engine/ascii-bert.js';
import { cutRules } from '../../src/engine/prefix-cut.js';
import { readSst2 } from '../../devkit/sst2-sentences.js';
import { shared, skipWithoutShared } from '../../devkit/shared-data.js';
import {
  bpeTokenizer,
  bundledConfig,
  bundledJson,
  bundledTokenizer,
} from './tokenizer-fixtures.js';

// The test's own list, from the file: the rules' list is what is under test.
const added = (bundledJson.added_tokens ?? []).map((token) => token.content);
const rules = cutRules(bundledJson, bundledConfig);

const library = bundledTokenizer();
const build = (maxWords?: number): AsciiIds => {
  const ids = asciiBertIds(bundledTokenizer(), rules, maxWords);
  assert.ok(ids, 'the bundled model is BERT uncased: the ASCII path must be built for it');
  return ids;
};
const roomy = build();
const tiny = build(3);

const libraryIds = (text: string): number[] =>
  library.encode(text, { add_special_tokens: false }).ids;

/**
 * Printable ASCII (tabs and line breaks too) without an added token must take the path, and
 * give the library's ids; anything else must be left to the library.
 */
function assertSame(text: string): void {
  const expected = libraryIds(text);
  const plain = /^[\t\n\r\x20-\x7e]*$/.test(text) && !added.some((token) => text.includes(token));
  for (const ids of [roomy, tiny]) {
    const got = ids(text);
    if (plain) assert.deepEqual(got, expected, text);
    else assert.equal(got, undefined, text);
  }
}

test(
  "the ASCII path gives the library's ids on SST-2 and the SQuAD questions, twice over",
  {
    skip:
      skipWithoutShared('data/sst2/dev.tsv') ||
      skipWithoutShared('data/distilbert-base-uncased/fixtures'),
  },
  () => {
    const questions = readFileSync(
      shared(
        'data/distilbert-base-uncased/fixtures/squad_dev_v1.1_questions_bert_uncased_ids.jsonl',
      ),
      'utf8',
    )
      .trim()
      .split('\n')
      .map((line) => (JSON.parse(line) as { text: string }).text);
    const texts = [
      ...['dev.tsv', 'train-part-1.tsv'].flatMap((name) =>
        readSst2(shared('data/sst2', name)).map((row) => row.sentence),
      ),
      ...questions,
    ];
    assert.ok(texts.length > 15_000);
    let taken = 0;
    // The second pass reads the roomy cache's answers for words the first pass split.
    for (let pass = 0; pass < 2; pass++) {
      for (const text of texts) {
        assertSame(text);
        if (roomy(text) !== undefined) taken++;
      }
    }
    // Nearly all of it is printable ASCII: the path is what these texts take.
    assert.ok(taken > 0.95 * 2 * texts.length, `${taken} of ${2 * texts.length}`);
  },
);

test("the ASCII path gives the library's ids on generated ASCII", () => {
  const word = fc.oneof(
    fc.constantFrom(
      'unaffable',
      'Running',
      "don't",
      'U.S.A.',
      '3.14',
      '[CLS]',
      '[cls]',
      '[UNK]x',
      '##ing',
      'x'.repeat(100),
      'x'.repeat(101),
      'qzxjvkw',
      '...',
      '~`|^<>',
    ),
    fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)) }),
    fc.stringMatching(/^[A-Za-z0-9]{1,12}$/),
  );
  const text = fc
    .tuple(
      fc.array(word, { maxLength: 20 }),
      fc.constantFrom(' ', '', '  ', '-', '\t', '\n', '\r\n', ' \v ', '\f'),
    )
    .map(([words, glue]) => words.join(glue));
  fc.assert(
    fc.property(text, (value) => assertSame(value)),
    { numRuns: 3_000 },
  );
});

test('text that is not printable ASCII is left to the library; tabs and line breaks are not', () => {
  for (const text of ['café', 'v\vtab', 'form\ffeed', 'nul\u0000', 'del\u007f', '“quoted”', '😀']) {
    assert.equal(roomy(text), undefined, JSON.stringify(text));
  }
  for (const text of ['tab\there', 'line\nbreak', '\r\nWindows\r\n']) assertSame(text);
  assert.deepEqual(roomy(''), []);
  assert.deepEqual(roomy('   '), []);
});

test('no ASCII path for a tokenizer the prefix-cut rules refuse, or whose model is not WordPiece', () => {
  assert.equal(asciiBertIds(bundledTokenizer(), undefined), undefined);
  assert.equal(asciiBertIds(bpeTokenizer(), rules), undefined);
});
