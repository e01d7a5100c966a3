import assert from 'node:assert/strict';
import { test } from 'node:test';
import { rssGrowth, uniqueText, type MemorySample } from '../../devkit/soak-run.js';

const MB = 2 ** 20;
const series = (rssMb: (second: number) => number): MemorySample[] =>
  Array.from({ length: 61 }, (_, second) => ({
    atSeconds: second,
    rssBytes: rssMb(second) * MB,
    heapUsedBytes: 0,
    texts: second * 100,
  }));

test('rssGrowth: a flat series after warm-up grows by nothing, a leaking one by its slope', () => {
  // A warm-up climb, then a sawtooth around 280 MB: no growth.
  const flat = rssGrowth(
    series((s) => (s < 10 ? 200 + 8 * s : 280 + (s % 4))),
    10,
  );
  assert.equal(flat.growthBytes, 0);
  // 1 MB/s after warm-up: the last third's peak is ~33 MB above the first third's.
  const leak = rssGrowth(
    series((s) => 280 + s),
    10,
  );
  assert.ok(leak.growthBytes > 30 * MB && leak.growthBytes < 36 * MB, String(leak.growthBytes));
  assert.throws(() => rssGrowth(series(() => 1).slice(0, 5), 10), /samples after the warm-up/);
});

test('uniqueText: every text of the stream is new (all cache misses)', () => {
  const texts = Array.from({ length: 200_000 }, (_, n) => uniqueText(n));
  assert.equal(new Set(texts).size, texts.length);
});
