/**
 * bench:serve part (3): the load profile (load/profile.json) compressed, against the service
 * with a real Redis and then against the no-op server, with the same load generator (target:
 * ≥ 0.7 of the no-op's throughput, p99 < 20 ms, no errors).
 */
import { startChildServer } from '../../../devkit/child-service.js';
import { startServiceChild } from './start-service.js';
import { assertServesGraph } from './same-graph.js';
import { RedisServer } from '../../../devkit/redis-server.js';
import { loadProfile, parseStages } from '../../../src/load/profile.js';
import { runLoad, type LoadResult } from '../../../src/load/run-load.js';
import { NOOP_SERVER_SCRIPT } from '../noop-app.js';
import type { ReportTable } from './report-table.js';
import type { ServeContext } from './serve-context.js';

/** What part (3) measured (both undefined when part (3) did not run). */
export interface LoadComparison {
  readonly loadService: LoadResult | undefined;
  readonly loadNoop: LoadResult | undefined;
}

/** No part (3). */
export const NO_LOAD_COMPARISON: LoadComparison = { loadService: undefined, loadNoop: undefined };

/** Part (3): the service with Redis, then the no-op server, one after the other. */
export async function measureLoadProfile(ctx: ServeContext): Promise<LoadComparison> {
  const profile = loadProfile({
    stages: parseStages(ctx.quick ? '2s:10,6s:10,2s:0' : '5s:10,20s:10,5s:0'),
  });
  let loadService: LoadResult;
  const redis = await RedisServer.start();
  try {
    const service = await startServiceChild(ctx, {
      REDIS_URL: redis.url,
      CACHE_HITS_HEADER: '1', // opt-in; the load runner reads the cache hit ratio from it
    });
    try {
      await assertServesGraph(service.baseUrl, ctx.serviceGraph.path);
      loadService = await runLoad({ baseUrl: service.baseUrl, profile });
    } finally {
      await service.stop();
    }
  } finally {
    await redis.stop();
  }
  const noop = await startChildServer(NOOP_SERVER_SCRIPT, {});
  try {
    const loadNoop = await runLoad({ baseUrl: noop.baseUrl, profile, checkRowCount: false });
    return { loadService, loadNoop };
  } finally {
    await noop.stop();
  }
}

/** Part (3)'s lines of the report. */
export function addLoadRows(load: LoadComparison, table: ReportTable): void {
  const { loadService, loadNoop } = load;
  if (!loadService || !loadNoop) return;
  const ratio = loadService.plateauPredictPerS / loadNoop.plateauPredictPerS;
  const s = loadService.predict;
  table.add(
    '(3) load profile, service + Redis, /predict at 10 users',
    `${loadService.plateauPredictPerS.toFixed(0)} req/s`,
  );
  table.add('    no-op server, same profile', `${loadNoop.plateauPredictPerS.toFixed(0)} req/s`);
  table.add('    ratio service / no-op', ratio.toFixed(3), '≥ 0.70', ratio >= 0.7);
  table.add(
    '    service /predict p50 / p90 / p95 / p99',
    [s.p50Ms, s.p90Ms, s.p95Ms, s.p99Ms].map((v) => v.toFixed(2)).join(' / ') + ' ms',
    'p99 < 20 ms',
    s.p99Ms < 20,
  );
  const n = loadNoop.predict;
  table.add(
    '    no-op /predict p50 / p90 / p95 / p99',
    [n.p50Ms, n.p90Ms, n.p95Ms, n.p99Ms].map((v) => v.toFixed(2)).join(' / ') + ' ms',
  );
  table.add(
    '    errors (service, no-op)',
    `${loadService.errorCount}, ${loadNoop.errorCount}`,
    '0',
    loadService.errorCount + loadNoop.errorCount === 0,
  );
  table.add(
    '    cache hit ratio (x-cache-hits)',
    `${(loadService.cacheHitRatio * 100).toFixed(2)}%`,
  );
  if (loadService.eventLoop)
    table.add(
      '    service event-loop delay p99 / max',
      `${loadService.eventLoop.p99Ms.toFixed(1)} / ${loadService.eventLoop.maxMs.toFixed(1)} ms`,
      '(10 ms interval incl.)',
    );
}
