import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cutBatch, type CutLimits } from '../../src/engine/batch-cut.js';

const texts = (...lengths: number[]) => lengths.map((n) => ({ ids: Array<number>(n).fill(7) }));
const limits: CutLimits = { maxItems: 3, maxTokens: 64, maxPadding: 0.25, graph: 'padded' };

test('packed: arrival order while the item count and the token budget allow', () => {
  const packed = { ...limits, graph: 'packed' as const, maxTokens: 10 };
  assert.deepEqual(cutBatch(texts(4, 5, 2, 1), packed), [0, 1], '4 + 5 fit, + 2 would not');
  assert.deepEqual(cutBatch(texts(1, 1, 1, 1), packed), [0, 1, 2], 'at most maxItems');
  assert.deepEqual(cutBatch(texts(40), packed), [0], 'the oldest goes even past the budget');
});

test('padded: the oldest plus the closest in length, within the padding share', () => {
  // Oldest 10: 9 and 11 are closest; 30 would make most of the batch padding.
  assert.deepEqual(cutBatch(texts(10, 30, 9, 11), limits), [0, 2, 3]);
  // With only a far one left, the oldest goes alone rather than padded past 25%.
  assert.deepEqual(cutBatch(texts(10, 30), limits), [0]);
  // The token budget (rows × longest) binds before the item count.
  assert.deepEqual(cutBatch(texts(30, 30, 30), { ...limits, maxPadding: 1 }), [0, 1]);
});
