import assert from 'node:assert/strict';
import { test } from 'node:test';
import { psi } from '../../src/monitoring/psi.js';
import {
  SizeAwarePsi,
  simulatedPsiQuantile,
  sizeBucket,
} from '../../src/monitoring/psi-threshold.js';

const uniform = new Array<number>(10).fill(0.1);
/** 99th percentile of χ² with 9 degrees of freedom (tables: 21.666). */
const CHI2_9_99 = 21.666;

test('the bootstrap agrees with the chi-square approximation PSI ≈ χ²(bins−1)·(1/n + 1/N)', () => {
  // To second order (l − r)·ln(l/r) ≈ (l − r)²/r, so PSI on unchanged data is Pearson's
  // statistic over the effective size (Yurdakul, "Statistical properties of population
  // stability index", 2018). The simulation must land near it, within its own noise.
  const cases = [
    { window: 100, reference: Infinity, approx: CHI2_9_99 / 100 },
    { window: 1000, reference: Infinity, approx: CHI2_9_99 / 1000 },
    { window: 500, reference: 872, approx: CHI2_9_99 * (1 / 500 + 1 / 872) },
  ];
  for (const { window, reference, approx } of cases) {
    const q = simulatedPsiQuantile(uniform, reference, window);
    assert.ok(
      q > approx * 0.8 && q < approx * 1.35,
      `n=${window} N=${reference}: ${q} vs ${approx}`,
    );
  }
});

test('small windows: a fixed 0.1 band would cry wolf at 100 texts, not at 1000', () => {
  assert.ok(simulatedPsiQuantile(uniform, Infinity, 100) > 0.1);
  assert.ok(simulatedPsiQuantile(uniform, Infinity, 1000) < 0.1);
});

test('a reference bin never filled stays empty in the simulation: threshold 0', () => {
  assert.equal(simulatedPsiQuantile([1, 0], 872, 300), 0);
  assert.equal(simulatedPsiQuantile([0.6, 0.4, 0], 872, 300) > 0, true);
});

test('seeded: the same inputs give the same threshold', () => {
  assert.equal(simulatedPsiQuantile(uniform, 872, 300), simulatedPsiQuantile(uniform, 872, 300));
});

test('window sizes share a threshold per bucket of 2^(1/4), rounded down', () => {
  assert.equal(sizeBucket(0), 0);
  assert.equal(sizeBucket(1), 1);
  assert.equal(sizeBucket(256), 256);
  for (let n = 2; n < 6000; n += 7) {
    const bucket = sizeBucket(n);
    assert.ok(bucket <= n && bucket >= n / 2 ** 0.25 - 1, `${n} → ${bucket}`);
  }
  const thresholds = new SizeAwarePsi();
  const a = thresholds.threshold('confidence', uniform, 872, 300);
  assert.equal(thresholds.threshold('confidence', uniform, 872, 260), a);
  assert.notEqual(thresholds.threshold('confidence', uniform, 872, 310), a);
  assert.equal(a, simulatedPsiQuantile(uniform, 872, sizeBucket(300)));
  assert.equal(thresholds.threshold('confidence', uniform, 872, 0), Infinity);
});

test('PSI of a sampled window rarely passes the 99th percentile (about 1 in 100)', () => {
  // An independent check of the quantile: windows drawn with Math.random-free arithmetic
  // (a fixed LCG) from the uniform shares.
  const threshold = simulatedPsiQuantile(uniform, Infinity, 300, 2000);
  let seed = 7;
  let over = 0;
  const trials = 2000;
  for (let t = 0; t < trials; t++) {
    const counts = new Array<number>(10).fill(0);
    for (let i = 0; i < 300; i++) {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      const bin = Math.floor((seed / 2 ** 31) * 10);
      counts[bin] = (counts[bin] as number) + 1;
    }
    if (psi(counts, uniform) > threshold) over++;
  }
  assert.ok(over / trials > 0.002 && over / trials < 0.025, `${over} / ${trials}`);
});
