import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  binIndex,
  binShares,
  featureReference,
  quantileEdges,
} from '../../src/monitoring/bin-edges.js';

test('deciles of 1..100: edges 11, 21, … 91, ten bins of ten', () => {
  const values = Array.from({ length: 100 }, (_, i) => 100 - i);
  const edges = quantileEdges(values);
  assert.deepEqual(edges, [11, 21, 31, 41, 51, 61, 71, 81, 91]);
  assert.deepEqual(binShares(values, edges), new Array(10).fill(0.1));
});

test('ties merge and every bin holds reference data (a mostly-zero feature)', () => {
  // 70 zeros, then 0.1 … 3.0: zero is a bin of its own, the rest split at the deciles.
  const values = [...new Array(70).fill(0), ...Array.from({ length: 30 }, (_, i) => (i + 1) / 10)];
  const edges = quantileEdges(values);
  assert.equal(edges[0], 0.1);
  for (let i = 1; i < edges.length; i++) assert.ok((edges[i] as number) > (edges[i - 1] as number));
  const shares = binShares(values, edges);
  assert.equal(shares[0], 0.7);
  assert.ok(
    shares.every((share) => share > 0),
    String(shares),
  );
  assert.equal(shares.length, edges.length + 1);
});

test('one value only: one edge just above it, the bin above empty by design', () => {
  // Counts and shares alike: a share of 0.003 must not fall in the bin of 0.
  assert.deepEqual(quantileEdges([0, 0, 0]), [1e-9]);
  assert.deepEqual(quantileEdges([1, 1]), [1 + 1e-9]);
  assert.deepEqual(quantileEdges([-4, -4]), [-4 + 4e-9]);
  assert.deepEqual(featureReference('non_ascii_share', [0, 0, 0, 0]), {
    edges: [1e-9],
    shares: [1, 0],
  });
  assert.equal(binIndex(quantileEdges([0, 0]), 0.003), 1);
});

test('binary features get one edge at 0.5', () => {
  assert.deepEqual(featureReference('positive', [0, 1, 1, 1]), {
    edges: [0.5],
    shares: [0.25, 0.75],
  });
  assert.deepEqual(featureReference('truncated', [0, 0]), { edges: [0.5], shares: [1, 0] });
});

test('binIndex follows the bin rule: an edge value goes up', () => {
  const edges = [1, 2, 4];
  assert.deepEqual(
    [-5, 0.99, 1, 1.5, 2, 3.99, 4, 100].map((v) => binIndex(edges, v)),
    [0, 0, 1, 1, 2, 2, 3, 3],
  );
  // A feature's edges out of a flat array: offset 2, three edges.
  assert.equal(binIndex([9, 9, 1, 2, 4, 9], 2, 2, 3), 2);
  assert.equal(binIndex([], 7), 0);
});
