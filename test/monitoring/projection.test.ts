import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fitProjection, project } from '../../src/monitoring/projection.js';

test('PCA of points along (1, 1) and then (1, −1): components in that order, unit length', () => {
  // x = t·(1, 1) + s·(1, −1) with t spread 10× wider than s: the first component is
  // (1, 1)/√2, the second (1, −1)/√2 up to sign (turned so the largest coordinate is > 0).
  const rows: number[][] = [];
  for (let i = -10; i <= 10; i++)
    for (const s of [-1, 1]) rows.push([i + s * 0.1 * ((i % 3) + 2), i - s * 0.1 * ((i % 3) + 2)]);
  const { mean, components } = fitProjection(rows, 2);
  assert.ok(Math.abs(mean[0] as number) < 1e-9 && Math.abs(mean[1] as number) < 1e-9);
  const [first, second] = components as number[][];
  assert.ok(Math.abs((first as number[])[0]! - Math.SQRT1_2) < 1e-9, String(first));
  assert.ok(Math.abs((first as number[])[1]! - Math.SQRT1_2) < 1e-9, String(first));
  assert.ok(Math.abs(Math.abs((second as number[])[0]!) - Math.SQRT1_2) < 1e-9, String(second));
  assert.ok(Math.max(...(second as number[])) > 0);
});

test('project: (x − mean) · component', () => {
  const projection = {
    mean: [1, 2, 3],
    components: [
      [1, 0, 0],
      [0, 0.6, 0.8],
    ],
  };
  assert.deepEqual(project(new Float32Array([2, 2, 4]), projection), [1, 0.8]);
  assert.deepEqual(project([1, 2, 3], projection), [0, 0]);
});

test('k is at most the width and the rows less one', () => {
  const rows = [
    [1, 2, 3, 4],
    [2, 1, 0, 4],
    [0, 0, 1, 5],
  ];
  assert.equal(fitProjection(rows, 3).components.length, 2);
  assert.equal(fitProjection(rows, 3).components[0]!.length, 4);
  assert.throws(() => fitProjection([[1, 2]]), /at least two/);
});
