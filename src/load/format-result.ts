import type { LoadResult } from './run-load.js';

/** The human-readable report of one run. */
export function formatResult(name: string, r: LoadResult): string {
  const ms = (v: number): string => (Number.isNaN(v) ? '-' : v.toFixed(2));
  const pct = (v: number): string => (Number.isNaN(v) ? 'n/a' : `${(v * 100).toFixed(2)}%`);
  const row = (label: string, s: LoadResult['predict']): string =>
    `  ${label.padEnd(8)} ${String(s.count).padStart(8)}  ${[
      s.p50Ms,
      s.p90Ms,
      s.p95Ms,
      s.p99Ms,
      s.maxMs,
    ]
      .map((v) => ms(v).padStart(8))
      .join('')}`;
  const tiers = Object.entries(r.cacheLookups)
    .map(([tier, t]) => `${tier} ${pct(t.hitRatio)} (${t.hits}/${t.hits + t.misses})`)
    .join(', ');
  return [
    `${name}: ${r.baseUrl}, ${r.durationS.toFixed(1)} s, up to ${r.maxVUs} users, ${r.iterations} iterations`,
    `  request     count    p50 ms   p90 ms   p95 ms   p99 ms   max ms`,
    row('predict', r.predict),
    row('health', r.health),
    `  /predict throughput: ${r.predictPerS.toFixed(0)} req/s overall, ${r.plateauPredictPerS.toFixed(0)} req/s at ${r.maxVUs} users`,
    `  errors: ${r.errorCount}${r.errorCount ? ` ${JSON.stringify(r.errors)}` : ''}; ended gracefully: ${r.endedGracefully}`,
    `  cache hit ratio (x-cache-hits): ${pct(r.cacheHitRatio)} (after warm-up ${pct(r.cacheHitRatioAfterWarmUp)})`,
    `  cache lookups (/metrics): ${tiers || 'n/a'}`,
    `  server event-loop delay: ${r.eventLoop ? `p99 ${ms(r.eventLoop.p99Ms)} ms, max ${ms(r.eventLoop.maxMs)} ms (10 ms sampling interval included)` : 'n/a'}`,
  ].join('\n');
}
