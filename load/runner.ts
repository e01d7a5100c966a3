/**
 * npm run load — the k6 profile of load/k6/predict.js, run from Node (no k6 binary needed):
 *
 *   flock /tmp/bench.lock npm run load -- [--base-url http://127.0.0.1:8000]
 *     [--time-scale 0.1 | --stages 5s:10,20s:10,5s:0] [--max-requests N] [--out file.json]
 *     [--skip-row-count]   (against bench/noop-server.ts, which answers three rows to anything)
 *
 * Prints latency percentiles, /predict throughput, errors and the cache hit ratio (from
 * x-cache-hits, which the service sends with CACHE_HITS_HEADER=1), and writes
 * the result with its per-second series (for `npm run load:chart`) to bench/results/.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { loadProfile, parseStages, profileDurationMs } from '../src/load/profile.js';
import { formatResult } from '../src/load/format-result.js';
import { runLoad } from '../src/load/run-load.js';

async function main(): Promise<void> {
  const { values: args } = parseArgs({
    options: {
      'base-url': { type: 'string', default: process.env.BASE_URL ?? 'http://127.0.0.1:8000' },
      'time-scale': { type: 'string' },
      stages: { type: 'string' },
      'max-requests': { type: 'string', default: '5000000' },
      out: { type: 'string' },
      // The no-op server answers three rows whatever it is sent.
      'skip-row-count': { type: 'boolean', default: false },
    },
  });
  const profile = loadProfile({
    ...(args.stages ? { stages: parseStages(args.stages) } : {}),
    ...(args['time-scale'] ? { timeScale: Number(args['time-scale']) } : {}),
  });
  const seconds = profileDurationMs(profile) / 1000;
  process.stderr.write(`load: ${seconds.toFixed(0)} s against ${args['base-url']} …\n`);
  const result = await runLoad({
    baseUrl: args['base-url'],
    profile,
    maxRequests: Number(args['max-requests']),
    checkRowCount: !args['skip-row-count'],
  });
  console.log(formatResult('load profile', result));
  const out =
    args.out ?? `bench/results/load-${new Date().toISOString().replace(/[:.]/g, '-')}.json`;
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify({ profile, ...result }, null, 1)}\n`);
  console.log(`  written: ${out}`);
  const t = profile.thresholds;
  const failed = result.errorCount / Math.max(1, result.requests) > t.maxErrorRate;
  process.exitCode = failed || !result.endedGracefully ? 1 : 0;
}

await main();
