import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BUNDLED_MODEL_DIR } from '../../src/config.js';
import { ModelTokenizer } from '../../src/engine/tokenizer.js';
import { resolveModelFiles } from '../../src/model/model-files.js';
import {
  DESCRIBE_MAX_CHARS,
  describePrediction,
  describeText,
  positiveClassId,
} from '../../src/monitoring/descriptors.js';
import { TEXT_FEATURES } from '../../src/monitoring/types.js';

const tokenizer = ModelTokenizer.fromModelFiles(resolveModelFiles(BUNDLED_MODEL_DIR, 'fp32'), 512);
const describe = (text: string): number[] =>
  describeText(text, tokenizer.encodeMeasured(text), tokenizer.unknownId);

/** Each feature by name, so a failure says which. */
const named = (values: readonly number[]): Record<string, number> =>
  Object.fromEntries(values.map((value, i) => [TEXT_FEATURES[i] as string, value]));

test('character shares, worked by hand: code points, not UTF-16 units', () => {
  // 15 code points (the emoji is two UTF-16 units): ö and 😀 outside ASCII; H,e,l,l,o,W,ö,r,l,d
  // letters (10), H and W upper case (2).
  const [, , , nonAscii, letters, upper] = describe('Hello, Wörld! 😀');
  assert.equal(nonAscii, 2 / 15);
  assert.equal(letters, 10 / 15);
  assert.equal(upper, 2 / 10);
  // Greek capitals are upper-case letters too; digits are no letters.
  assert.deepEqual(describe('ΑΒγ').slice(3), [1, 1, 2 / 3]);
  assert.deepEqual(describe('12345').slice(3), [0, 0, 0]);
});

test('word-pieces, truncation and the unknown share come from the tokenizer', () => {
  // "good" is one word-piece; the emoji is not in the vocabulary: [UNK].
  assert.deepEqual(named(describe('good 😀')), {
    wordpieces: 2,
    truncated: 0,
    unknown_share: 1 / 2,
    non_ascii_share: 1 / 6,
    letter_share: 4 / 6,
    upper_share: 0,
  });
  const long = describe('good '.repeat(1000));
  assert.equal(long[0], 512);
  assert.equal(long[1], 1);
  assert.deepEqual(describe(''), [0, 0, 0, 0, 0, 0]);
});

test('the unknown share counts the unknown id among the pieces read, [CLS]/[SEP] excluded', () => {
  const measured = { ids: [101, 100, 7, 100, 102], wordpieces: 3, truncated: false };
  assert.equal(describeText('x', measured, 100)[2], 2 / 3);
  assert.equal(describeText('x', measured, undefined)[2], 0);
});

test('character shares look at the first DESCRIBE_MAX_CHARS only', () => {
  const text = 'a'.repeat(DESCRIBE_MAX_CHARS) + 'É'.repeat(1000);
  const measured = tokenizer.encodeMeasured(text);
  assert.equal(describeText(text, measured, 100)[3], 0);
  assert.equal(describeText(text.slice(-2000), measured, 100)[3], 1000 / 2000);
});

test('prediction features: confidence, positive, margin', () => {
  assert.deepEqual(describePrediction([0.2, 0.8], 1), [0.8, 1, 0.8 - 0.2]);
  assert.deepEqual(describePrediction([0.7, 0.3], 1), [0.7, 0, 0.7 - 0.3]);
  assert.deepEqual(describePrediction([0.1, 0.5, 0.4], 2), [0.5, 0, 0.5 - 0.4]);
  assert.deepEqual(describePrediction([1], 0), [1, 1, 1]);
});

test('the positive class: the label saying so, else the last', () => {
  assert.equal(positiveClassId(['NEGATIVE', 'POSITIVE']), 1);
  assert.equal(positiveClassId(['positive', 'negative']), 0);
  assert.equal(positiveClassId(['neg', 'neutral', 'pos']), 2);
  assert.equal(positiveClassId(['LABEL_0', 'LABEL_1']), 1);
});
