/**
 * bench:serve part (3): the load profile (load/profile.json) compressed, against the service
 * with a real Redis and then against the no-op server, with the same load generator, for the
 * latency and the errors (p99 < 20 ms, no errors); then the profile's plateau (10 users,
 * GET /health and POST /predict, a warm cache) on both in alternating passes, for the
 * throughput (target: the service's median ≥ 0.7 of the no-op's). One profile run on each,
 * one after the other, is a ratio of two draws on this shared machine: the no-op's own passes
 * range over half again their lowest.
 */
import { startChildServer } from '../../../devkit/child-service.js';
import { startServiceChild } from './start-service.js';
import { assertServesGraph } from './same-graph.js';
import { RedisServer } from '../../../devkit/redis-server.js';
import { loadProfile, parseStages } from '../../../src/load/profile.js';
import { bodyPicker } from '../../../src/load/profile.js';
import { runLoad, type LoadResult } from '../../../src/load/run-load.js';
import { NOOP_SERVER_SCRIPT } from '../noop-app.js';
import { cachedThroughput } from '../timed-requests.js';
import { median, type ReportTable } from './report-table.js';
import type { ServeContext } from './serve-context.js';

/** Users of the load profile's plateau (src/load/profile.json), the clients of a cached pass. */
export const CACHED_CLIENTS = 10;
/** Iterations (GET /health, POST /predict) of one cached pass: a few seconds each. */
export const CACHED_ITERATIONS = 20_000;

/** What part (3) measured (all undefined when part (3) did not run). */
export interface LoadComparison {
  readonly loadService: LoadResult | undefined;
  readonly loadNoop: LoadResult | undefined;
  /** Iterations/s of the paired rounds: the service and the no-op server, a pass each a round. */
  readonly paired: { service: number[]; noop: number[] } | undefined;
}

/** No part (3). */
export const NO_LOAD_COMPARISON: LoadComparison = {
  loadService: undefined,
  loadNoop: undefined,
  paired: undefined,
};

/** Part (3): the profile on the service with Redis, then on the no-op server; paired rounds. */
export async function measureLoadProfile(ctx: ServeContext): Promise<LoadComparison> {
  const profile = loadProfile({
    stages: parseStages(ctx.quick ? '2s:10,6s:10,2s:0' : '5s:10,20s:10,5s:0'),
  });
  const redis = await RedisServer.start();
  try {
    const service = await startServiceChild(ctx, {
      REDIS_URL: redis.url,
      CACHE_HITS_HEADER: '1', // opt-in; the load runner reads the cache hit ratio from it
    });
    try {
      await assertServesGraph(service.baseUrl, ctx.serviceGraph.path);
      const noop = await startChildServer(NOOP_SERVER_SCRIPT, {});
      try {
        // Both warm first: a service just started runs the profile's 10 s at two thirds of its
        // speed of a minute later (V8 still compiling its hot paths), where the no-op has few.
        for (const server of [service, noop]) await cachedPass(server.baseUrl, WARM_UP_ITERATIONS);
        const loadService = await runLoad({ baseUrl: service.baseUrl, profile });
        const loadNoop = await runLoad({ baseUrl: noop.baseUrl, profile, checkRowCount: false });
        const paired = await pairedRounds(service.baseUrl, noop.baseUrl, ctx.quick ? 3 : 7);
        return { loadService, loadNoop, paired };
      } finally {
        await noop.stop();
      }
    } finally {
      await service.stop();
    }
  } finally {
    await redis.stop();
  }
}

/** Iterations that warm a server before it is measured. */
const WARM_UP_ITERATIONS = 3 * CACHED_ITERATIONS;

/** Iterations/s of one cached pass of the profile's bodies; errors stop the run. */
export async function cachedPass(baseUrl: string, iterations: number): Promise<number> {
  const nextBody = bodyPicker(loadProfile());
  const r = await cachedThroughput(baseUrl, () => nextBody().json, iterations, CACHED_CLIENTS);
  if (r.errors > 0) throw new Error(`cached pass: ${r.errors} errors from ${baseUrl}`);
  return r.iterationsPerS;
}

/** `rounds` cached passes on each server, taking turns (neither always first). */
async function pairedRounds(
  serviceUrl: string,
  noopUrl: string,
  rounds: number,
): Promise<{ service: number[]; noop: number[] }> {
  const paired = { service: [] as number[], noop: [] as number[] };
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? (['service', 'noop'] as const) : (['noop', 'service'] as const);
    for (const side of order) {
      const url = side === 'service' ? serviceUrl : noopUrl;
      paired[side].push(await cachedPass(url, CACHED_ITERATIONS));
    }
  }
  return paired;
}

/** Part (3)'s lines of the report. */
export function addLoadRows(load: LoadComparison, table: ReportTable): void {
  const { loadService, loadNoop, paired } = load;
  if (!loadService || !loadNoop || !paired) return;
  const ratio = loadService.plateauPredictPerS / loadNoop.plateauPredictPerS;
  const s = loadService.predict;
  table.add(
    '(3) load profile, service + Redis, /predict at 10 users',
    `${loadService.plateauPredictPerS.toFixed(0)} req/s`,
  );
  table.add('    no-op server, same profile', `${loadNoop.plateauPredictPerS.toFixed(0)} req/s`);
  table.add('    ratio service / no-op, one profile run each', ratio.toFixed(3), '(two draws)');
  const mid = (values: readonly number[]) => median([...values].sort((x, y) => x - y));
  const [noopMedian, serviceMedian] = [mid(paired.noop), mid(paired.service)];
  table.add(
    `    paired rounds (${paired.service.length}), plateau: no-op / service, medians`,
    `${noopMedian.toFixed(0)} / ${serviceMedian.toFixed(0)} iterations/s`,
  );
  const pairedRatio = serviceMedian / noopMedian;
  table.add(
    '    ratio of the paired medians',
    pairedRatio.toFixed(3),
    '≥ 0.70',
    pairedRatio >= 0.7,
  );
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
