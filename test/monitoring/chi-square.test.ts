import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chiSquareHomogeneity } from '../../src/monitoring/chi-square.js';
import { bonferroniAlpha } from '../../src/monitoring/bonferroni.js';

const close = (actual: number, expected: number, digits = 12): void =>
  assert.ok(Math.abs(actual - expected) < 10 ** -digits, `${actual} vs ${expected}`);

test("scipy.stats.chi2_contingency's documented example: [[10, 10, 20], [20, 20, 20]]", () => {
  // Expected counts 12/12/16 and 18/18/24: 2·4/12 + 16/16 + 2·4/18 + 16/24 = 25/9; with two
  // degrees of freedom the upper tail is exp(−x/2). scipy prints 2.7777777777777777 and
  // 0.24935220877729619.
  const result = chiSquareHomogeneity([10, 10, 20], [20, 20, 20]);
  close(result.statistic, 25 / 9);
  assert.equal(result.degreesOfFreedom, 2);
  close(result.pValue, Math.exp(-25 / 18));
  close(result.pValue, 0.24935220877729619, 14);
  close(result.cramersV, Math.sqrt(25 / 9 / 100));
});

test('one degree of freedom: the tail is erfc(sqrt(x/2)), worked on a 2 × 2 table', () => {
  // [[30, 10], [10, 30]]: every expected count 20, x = 4 · 100/20 = 20; P(χ²₁ > 20) = erfc(√10)
  // = 7.7442e-6 (tables: 7.744216e-06).
  const result = chiSquareHomogeneity([30, 10], [10, 30]);
  close(result.statistic, 20);
  assert.equal(result.degreesOfFreedom, 1);
  assert.ok(Math.abs(result.pValue - 7.744216e-6) < 1e-11, String(result.pValue));
  close(result.cramersV, 0.5);
});

test('bins empty in both are left out; identical shares give p = 1', () => {
  const result = chiSquareHomogeneity(
    [10, 0, 20, 20],
    [20, 0, 20, 20].map((c, i) => (i === 2 ? 40 : c)),
  );
  assert.equal(result.degreesOfFreedom, 2);
  const same = chiSquareHomogeneity([5, 10, 15], [50, 100, 150]);
  close(same.statistic, 0);
  close(same.pValue, 1);
  assert.deepEqual(chiSquareHomogeneity([0, 0], [5, 5]).pValue, 1);
});

test('a bin only the live window fills: still a finite statistic, tiny p-value', () => {
  // 200 live texts, 5 of them where the 872 reference texts had none: pooled 5/1072;
  // expected 0.9328 live, 4.0672 reference.
  const result = chiSquareHomogeneity([195, 5], [872, 0]);
  const eLive = (200 * 5) / 1072;
  const eRef = (872 * 5) / 1072;
  const eLive0 = (200 * 1067) / 1072;
  const eRef0 = (872 * 1067) / 1072;
  const expected =
    (195 - eLive0) ** 2 / eLive0 + (872 - eRef0) ** 2 / eRef0 + (5 - eLive) ** 2 / eLive + eRef;
  close(result.statistic, expected, 9);
  assert.ok(result.pValue < 1e-4);
});

test('Bonferroni: the family level split over the tests', () => {
  assert.equal(bonferroniAlpha(0.05, 10), 0.005);
  assert.equal(bonferroniAlpha(0.05, 0), 0.05);
});
