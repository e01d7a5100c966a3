import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadCharts } from '../../load/load-charts.js';
import type { LoadResult } from '../../src/load/run-load.js';
import type { LatencySummary, SeriesPoint } from '../../src/load/request-log.js';

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

const summary: LatencySummary = {
  count: 100,
  failed: 0,
  meanMs: 0.3,
  p50Ms: 0.2,
  p90Ms: 0.4,
  p95Ms: 0.5,
  p99Ms: 1.1,
  maxMs: 3,
};

/** Ten seconds of a small run; second 4 had no /predict answer (NaN percentiles). */
const series: SeriesPoint[] = Array.from({ length: 10 }, (_, t) => ({
  t,
  vus: Math.min(4, t + 1),
  predictPerS: t === 4 ? 0 : 1000 + 50 * t,
  healthPerS: t === 4 ? 0 : 1000 + 50 * t,
  failed: 0,
  p50Ms: t === 4 ? Number.NaN : 0.2,
  p95Ms: t === 4 ? Number.NaN : 0.5,
  p99Ms: t === 4 ? Number.NaN : 1 + t / 10,
  hitRatio: t === 4 ? Number.NaN : 0.9,
}));

const result: LoadResult = {
  baseUrl: 'http://127.0.0.1:1',
  startedAt: '2026-01-02T03:04:05.000Z',
  durationS: 10,
  maxVUs: 4,
  requests: 200,
  iterations: 100,
  predict: summary,
  health: summary,
  predictPerS: 1000,
  plateauPredictPerS: 1200,
  errors: {},
  errorCount: 0,
  shuffledShare: 0.05,
  cacheHitRatio: 1,
  cacheHitRatioAfterWarmUp: 1,
  cacheLookups: {},
  hitRatioOverTime: [
    { t: 5, hitRatio: 0.5, lookups: 100 },
    { t: 10, hitRatio: 0.95, lookups: 120 },
  ],
  serverTimings: {},
  eventLoop: undefined,
  endedGracefully: true,
  series,
};

/** Width and height from a PNG's IHDR chunk. */
function pngSize(png: Buffer): [number, number] {
  return [png.readUInt32BE(16), png.readUInt32BE(20)];
}

describe('charts of a load run (npm run load:chart)', () => {
  test('latency, throughput and hit ratio, each an SVG with its title and series and a PNG of it', async () => {
    const charts = await loadCharts(result);
    const expected = {
      latency: ['/predict latency per second (2026-01-02 03:04 UTC, up to 4 users)', 'p50', 'p99'],
      throughput: ['Throughput per second (2026-01-02 03:04 UTC', 'POST /predict', 'GET /health'],
      hits: ['Cache hit ratio (2026-01-02 03:04 UTC', 'server (/metrics)', 'client (x-cache-hits)'],
    };
    for (const [name, texts] of Object.entries(expected)) {
      const { svg, png } = charts[name as keyof typeof expected];
      assert.match(svg, /^<svg[^>]+xmlns="http:\/\/www.w3.org\/2000\/svg"/, name);
      for (const text of texts) assert.ok(svg.includes(text), `${name} chart lacks "${text}"`);
      assert.ok(svg.includes('seconds since start'), `${name} chart lacks its x-axis title`);
      assert.deepEqual(png.subarray(0, 8), PNG_SIGNATURE, `${name}.png is not a PNG`);
      const [width, height] = pngSize(png);
      const svgWidth = Number(/^<svg[^>]* width="(\d+)"/.exec(svg)?.[1]);
      assert.equal(width, 2 * svgWidth, `${name}.png should be the SVG at twice its size`);
      assert.ok(
        height > 400 && png.length > 20_000,
        `${name}.png: ${width}×${height}, ${png.length} B`,
      );
    }
  });

  test('a second with no answer breaks the latency lines instead of dropping them to 0', async () => {
    const { svg } = (await loadCharts(result)).latency;
    // Each percentile's line is drawn as two runs of points, before and after second 4.
    const paths = svg.match(/<path[^>]*d="M[^"]*M[^"]*"/g) ?? [];
    assert.ok(paths.length >= 3, `expected 3 broken lines, found ${paths.length}`);
  });
});
