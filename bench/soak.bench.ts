/**
 * npm run soak — memory under a stream of unique texts:
 *
 *   flock /tmp/bench.lock npm run soak -- [--minutes 10] [--cache-bytes 4194304]
 *     [--clients 4] [--texts 8] [--sample-ms 2000] [--warmup-seconds 60]
 *     [--bound-mb 32] [--out bench/results] [--replicas 3]
 *
 * The service runs as a child process on the bundled model (one worker, the in-process cache
 * only, CACHE_MEMORY_BYTES small so it fills and evicts within the warm-up); every text is
 * one it has never seen. Writes the RSS and heap series as `soak.json` and a chart as
 * `soak-memory.svg` / `.png` into `--out`, prints the figures docs/benchmarks.md keeps, and
 * exits 1 if the last third's RSS peak passes the first third's (after warm-up) by more than
 * `--bound-mb`, or any request failed. `--replicas 3` soaks the topology instead (three
 * replicas, Redis, nginx: bench/lib/soak-fleet.ts), judging each replica.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { SERVICE_SCRIPT, startChildServer } from '../devkit/child-service.js';
import { renderLineChart } from '../devkit/line-chart.js';
import { rssGrowth, runSoak } from '../devkit/soak-run.js';

const { values: args } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    'cache-bytes': { type: 'string', default: String(4 * 1024 * 1024) },
    clients: { type: 'string', default: '4' },
    texts: { type: 'string', default: '8' },
    'sample-ms': { type: 'string', default: '2000' },
    'warmup-seconds': { type: 'string', default: '60' },
    // docs/benchmarks.md ("Memory soak") says how this was chosen from a measurement.
    'bound-mb': { type: 'string', default: '32' },
    out: { type: 'string', default: 'bench/results' },
    // 3: the same soak through nginx to three replicas with Redis (devkit/topology/fleet-soak.ts).
    replicas: { type: 'string', default: '1' },
    // With --replicas: texts per second over all clients (unset: as fast as answered).
    'texts-per-second': { type: 'string' },
    // With --replicas: a warm-up counted in texts through the fleet, instead of --warmup-seconds.
    'warmup-texts': { type: 'string' },
    // With --replicas: the checkout whose service runs (e.g. a git worktree of a commit).
    'service-root': { type: 'string' },
  },
});
if (Number(args.replicas) > 1) {
  const { fleetSoak } = await import('./lib/soak-fleet.js');
  process.exitCode = await fleetSoak(args);
  // The single-service soak below is not for this run; stdout drained first.
  await new Promise((resolve) => process.stdout.write('', resolve));
  process.exit();
}

const MB = 2 ** 20;
const minutes = Number(args.minutes);
const env = {
  INFERENCE_WORKERS: '1',
  CACHE_MEMORY_BYTES: args['cache-bytes'],
  // A TTL would expire entries before they are evicted; the soak is about eviction.
  CACHE_TTL_SECONDS: '0',
};
const server = await startChildServer(SERVICE_SCRIPT, env);
let result;
try {
  console.log(
    `soak: ${minutes} min against ${server.baseUrl} (pid ${server.pid}), ${JSON.stringify(env)}`,
  );
  result = await runSoak({
    baseUrl: server.baseUrl,
    pid: server.pid,
    durationMs: minutes * 60_000,
    sampleEveryMs: Number(args['sample-ms']),
    clients: Number(args.clients),
    textsPerRequest: Number(args.texts),
  });
} finally {
  await server.stop();
}

const warmup = Number(args['warmup-seconds']);
const growth = rssGrowth(result.samples, warmup);
const bound = Number(args['bound-mb']);
const seconds = result.samples.at(-1)?.atSeconds ?? 0;
const mb = (bytes: number) => `${(bytes / MB).toFixed(1)} MB`;
const rss = result.samples.map((s) => s.rssBytes);
const heap = result.samples.map((s) => s.heapUsedBytes);
const summary = {
  minutes,
  env,
  requests: result.requests,
  texts: result.texts,
  textsPerSecond: result.texts / seconds,
  errors: result.errors,
  rssStartBytes: rss[0],
  rssMaxBytes: Math.max(...rss),
  heapMaxBytes: Math.max(...heap),
  ...growth,
  boundBytes: bound * MB,
};
mkdirSync(args.out, { recursive: true });
writeFileSync(
  join(args.out, 'soak.json'),
  `${JSON.stringify({ summary, samples: result.samples }, null, 2)}\n`,
);
const chart = await renderLineChart({
  title: `Service memory, ${result.texts.toLocaleString('en')} unique texts in ${minutes} min (CACHE_MEMORY_BYTES ${mb(Number(args['cache-bytes']))})`,
  xLabel: 'minutes',
  yLabel: 'MB',
  series: [
    {
      name: 'RSS',
      points: result.samples.map((s) => [s.atSeconds / 60, s.rssBytes / MB]),
    },
    {
      name: 'V8 heap used (main thread)',
      points: result.samples.map((s) => [s.atSeconds / 60, s.heapUsedBytes / MB]),
    },
  ],
});
writeFileSync(join(args.out, 'soak-memory.svg'), chart.svg);
writeFileSync(join(args.out, 'soak-memory.png'), chart.png);

console.log(
  `requests ${result.requests}, texts ${result.texts} (${summary.textsPerSecond.toFixed(0)}/s), errors ${result.errors}`,
);
for (const line of result.firstErrors) console.log(`  ${line}`);
console.log(
  `RSS start ${mb(rss[0] ?? 0)}, max ${mb(summary.rssMaxBytes)}; heap max ${mb(summary.heapMaxBytes)}`,
);
console.log(
  `after ${warmup} s warm-up: first third max ${mb(growth.firstThirdMaxBytes)}, last third max ${mb(growth.lastThirdMaxBytes)}, growth ${mb(growth.growthBytes)} (bound ${bound} MB)`,
);
console.log(`wrote ${join(args.out, 'soak.json')}, soak-memory.svg, soak-memory.png`);
process.exitCode = result.errors > 0 || growth.growthBytes > bound * MB ? 1 : 0;
