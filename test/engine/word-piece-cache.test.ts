/**
 * The remembered word-pieces (src/engine/word-piece-cache.ts) must give exactly the library's
 * own ids: on real sentences, on generated text of every script, and with a cache so small
 * that nearly every word is evicted before it is met again.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Tokenizer } from '@huggingface/tokenizers';
import fc from 'fast-check';
import { rememberWordPieces } from '../../src/engine/word-piece-cache.js';
import { readSst2 } from '../../devkit/sst2-sentences.js';
import { shared, skipWithoutShared } from '../../devkit/shared-data.js';
import { bpeTokenizer, bundledTokenizer } from './tokenizer-fixtures.js';

/** The library as it comes, and two that remember: a roomy cache and a tiny one. */
const library = bundledTokenizer();
const roomy = bundledTokenizer();
const tiny = bundledTokenizer();
assert.equal(rememberWordPieces(roomy), true);
assert.equal(rememberWordPieces(tiny, 3), true);

const ids = (tokenizer: Tokenizer, text: string): number[] =>
  tokenizer.encode(text, { add_special_tokens: false }).ids;

function assertSame(text: string): void {
  const expected = ids(library, text);
  assert.deepEqual(ids(roomy, text), expected, text);
  assert.deepEqual(ids(tiny, text), expected, text);
}

test(
  "remembered word-pieces equal the library's on every SST-2 sentence, twice over",
  { skip: skipWithoutShared('data/sst2/dev.tsv') },
  () => {
    const sentences = ['dev.tsv', 'train-part-1.tsv'].flatMap((name) =>
      readSst2(shared('data/sst2', name)).map((row) => row.sentence),
    );
    assert.ok(sentences.length > 5_000);
    // The second pass reads the roomy cache's answers for words the first pass split.
    for (let pass = 0; pass < 2; pass++) for (const sentence of sentences) assertSame(sentence);
  },
);

test("remembered word-pieces equal the library's on generated text", () => {
  const word = fc.oneof(
    fc.constantFrom('unaffable', 'running', 'Ünïcödé', 'straße', '[UNK]', 'x'.repeat(101)),
    fc.string({ unit: 'grapheme', maxLength: 12 }),
    fc.string({ unit: 'binary', maxLength: 12 }),
  );
  const text = fc.array(word, { maxLength: 20 }).map((words) => words.join(' '));
  fc.assert(
    fc.property(text, (value) => assertSame(value)),
    { numRuns: 2_000 },
  );
});

test('a tokenizer whose model is not WordPiece is left as it is', () => {
  const bpe = bpeTokenizer();
  const before = bpe.model?.encode;
  assert.equal(rememberWordPieces(bpe), false);
  assert.equal(bpe.model?.encode, before);
});
