/**
 * ModelTokenizer.encodeMeasured: the ids `encode` gives, plus the word-pieces before truncation
 * (counted up to the model's max length) and whether the text was cut, on short texts, texts
 * right at the limit and long texts that go through the prefix cut.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { Tokenizer } from '@huggingface/tokenizers';
import { BUNDLED_MODEL_DIR } from '../../src/config.js';
import { ModelTokenizer } from '../../src/engine/tokenizer.js';
import { resolveModelFiles } from '../../src/model/model-files.js';

const files = resolveModelFiles(BUNDLED_MODEL_DIR, 'fp32');
const library = new Tokenizer(
  JSON.parse(readFileSync(join(BUNDLED_MODEL_DIR, 'tokenizer.json'), 'utf8')) as object,
  JSON.parse(readFileSync(join(BUNDLED_MODEL_DIR, 'tokenizer_config.json'), 'utf8')) as Record<
    string,
    unknown
  >,
);
/** Word-pieces of the whole text by the library alone, no special tokens. */
const pieces = (text: string): number =>
  library.encode(text, { add_special_tokens: false }).ids.length;

const bundled = ModelTokenizer.fromModelFiles(files, 512);
const small = ModelTokenizer.fromModelFiles(files, 16);

test("unknownId is the vocabulary's [UNK]", () => {
  assert.equal(bundled.unknownId, library.token_to_id('[UNK]'));
  assert.equal(bundled.unknownId, 100);
});

test('a short text: its word-pieces, not truncated, the ids of encode', () => {
  const text = "it 's a charming and often affecting journey .";
  const measured = bundled.encodeMeasured(text);
  assert.deepEqual(measured.ids, bundled.encode(text));
  assert.equal(measured.wordpieces, pieces(text));
  assert.equal(measured.wordpieces, measured.ids.length - 2);
  assert.equal(measured.truncated, false);
  assert.deepEqual(bundled.encodeMeasured(''), {
    ids: [101, 102],
    wordpieces: 0,
    truncated: false,
  });
});

test('texts right at the limit: 14 word-pieces fit a 16-position model, 15 do not', () => {
  // "good" is one word-piece: n words, n pieces.
  const words = (n: number): string => Array.from({ length: n }, () => 'good').join(' ');
  assert.equal(pieces(words(14)), 14);
  const fits = small.encodeMeasured(words(14));
  assert.deepEqual(fits, { ids: small.encode(words(14)), wordpieces: 14, truncated: false });
  const over = small.encodeMeasured(words(15));
  assert.deepEqual(over, { ids: small.encode(words(15)), wordpieces: 15, truncated: true });
  assert.equal(over.ids.length, 16);
  // Counted up to the max length and no further.
  assert.equal(small.encodeMeasured(words(16)).wordpieces, 16);
  assert.equal(small.encodeMeasured(words(40)).wordpieces, 16);
});

test('long texts through the prefix cut: counts and ids equal full tokenization', () => {
  // Lengths around every size the prefix cut tries (16-position model: windows of 112, 224,
  // … characters), in words of different piece counts, so some cuts land mid-count.
  const vocabulary = ['good', 'unbelievably', 'film', ',', 'a', 'xylophonist', '!!'];
  for (let n = 1; n <= 120; n++) {
    const text = Array.from({ length: n }, (_, i) => vocabulary[(i * 5) % vocabulary.length]).join(
      ' ',
    );
    const whole = pieces(text);
    const measured = small.encodeMeasured(text);
    assert.deepEqual(measured.ids, small.encode(text), text);
    assert.equal(measured.wordpieces, Math.min(whole, 16), text);
    assert.equal(measured.truncated, whole > 14, text);
  }
  // One-piece words of 13-15 letters: the first prefix that reaches 14 ids holds 14, 15 or
  // 16 of them, with more text after it, so a text just over the limit is told from one that
  // just fits only if the prefix is read past 14 ids.
  for (const word of ['representatives', 'responsibility', 'understanding'])
    for (let n = 1; n <= 60; n++) {
      const text = Array.from({ length: n }, () => word).join(' ');
      const measured = small.encodeMeasured(text);
      assert.deepEqual(measured.ids, small.encode(text), text);
      assert.equal(measured.wordpieces, Math.min(n, 16), text);
      assert.equal(measured.truncated, n > 14, text);
    }
});

test('a 4 MB text: 512 word-pieces counted, truncated, in well under a second', () => {
  const text = 'a very long review , it goes on and on . '.repeat(100_000);
  const started = performance.now();
  const measured = bundled.encodeMeasured(text);
  const ms = performance.now() - started;
  assert.deepEqual(measured.ids, bundled.encode(text));
  assert.equal(measured.wordpieces, 512);
  assert.equal(measured.truncated, true);
  assert.equal(measured.ids.length, 512);
  assert.ok(ms < 1000, `${ms} ms`);
});

test('encodeAllMeasured: encodeMeasured of each text, in order', async () => {
  const texts = ['good', 'good '.repeat(30), '', 'an unbelievably dull film'];
  assert.deepEqual(
    await small.encodeAllMeasured(texts),
    texts.map((text) => small.encodeMeasured(text)),
  );
});
