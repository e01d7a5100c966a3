/**
 * bench:overload — does the service keep its capacity when offered far more than it has?
 *
 *   flock /tmp/bench.lock npm run bench:overload -- [--quick] [--model-dir DIR]
 *     [--levels 1,2,4,…] [--seconds 10] [--policies retry-after,immediate]
 *     [--env QUEUE_MAX_ITEMS=512 …] [--out run.json] [--baseline before.json]
 *     [--compare-root DIR]
 *
 * Starts the real service as a child process (devkit/child-service.ts; the bundled model
 * unless --model-dir), one per retry policy, and for each concurrency level runs closed-loop
 * clients sending `--texts` unique SST-2 texts per request (bench/lib/overload/closed-loop.ts)
 * for a bounded window; with --compare-root, another checkout's service (the commit before a
 * change) takes its turn at every level. Reports goodput (texts answered 200 per second), accepted and refused
 * requests, accepted latency, /health latency from a separate prober, and goodput ÷ the best
 * goodput of a comparable run (this one, or --baseline's): the target under overload is ≥ 0.8.
 * The ratio is refused when the runs differ in graph, dtype, pool or request shape
 * (bench/lib/overload/comparable.ts). Figures and what they decided: docs/benchmarks.md.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { SERVICE_SCRIPT, startChildServer, type ChildServer } from '../devkit/child-service.js';
import { sst2Sentences } from '../devkit/sst2-sentences.js';
import { growth, scrapeMetrics } from '../src/load/server-metrics.js';
import { BUNDLED_MODEL_DIR, loadConfig } from '../src/config.js';
import { resolveModelFiles } from '../src/model/model-files.js';
import { runLevel, UniqueTexts, type RetryPolicy } from './lib/overload/closed-loop.js';
import { goodputRatio, runIdentity, type RunIdentity } from './lib/overload/comparable.js';
import { formatTable, type LevelRow } from './lib/overload/report.js';

const { values: args } = parseArgs({
  options: {
    'model-dir': { type: 'string', default: BUNDLED_MODEL_DIR },
    quick: { type: 'boolean', default: false },
    levels: { type: 'string' },
    seconds: { type: 'string' },
    'drain-seconds': { type: 'string' },
    policies: { type: 'string', default: 'retry-after,immediate' },
    texts: { type: 'string', default: '32' },
    env: { type: 'string', multiple: true, default: [] },
    out: { type: 'string' },
    baseline: { type: 'string' },
    // Another checkout (e.g. the commit before a change): its service, level by level in turn.
    'compare-root': { type: 'string' },
  },
});
const quick = args.quick;
const levels = (args.levels ?? (quick ? '8,64,200' : '1,2,4,8,16,32,64,128,200'))
  .split(',')
  .map(Number);
const seconds = Number(args.seconds ?? (quick ? 5 : 12));
// Past the window, requests in flight are awaited this long for their latency, then cut.
const drainSeconds = Number(args['drain-seconds'] ?? (quick ? 5 : 35));
const policies = args.policies.split(',') as RetryPolicy[];
const textsPerRequest = Number(args.texts);
const knobs = Object.fromEntries(
  args.env.map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
);
const config = loadConfig({ MODEL_DIR: args['model-dir'], ...knobs });
const files = resolveModelFiles(args['model-dir'], config.modelDtype);
const identity = await runIdentity(files, config, textsPerRequest);
const { sentences, source } = sst2Sentences();
const texts = new UniqueTexts(sentences);

console.log(`bench:overload  model ${files.dir} (${files.dtype}), texts from ${source}`);
if (args['compare-root']) console.log(`  compared with the service of ${args['compare-root']}`);
console.log(
  `  ${config.inferenceWorkers} workers × ${config.inferenceThreads} threads, ` +
    `${textsPerRequest} texts a request, ${seconds} s a level, knobs ${JSON.stringify(knobs)}`,
);

// The service under test, and with --compare-root another checkout's, level by level in
// turn: the machine is shared, and drift then lands on both alike.
const services = [
  { name: 'this', script: SERVICE_SCRIPT },
  ...(args['compare-root']
    ? [{ name: 'compared', script: join(args['compare-root'], SERVICE_SCRIPT) }]
    : []),
];
const rows: (Omit<LevelRow, 'ratio'> & { service: string })[] = [];
for (const policy of policies) {
  const running: ChildServer[] = [];
  try {
    for (const { script } of services) {
      running.push(await startChildServer(script, { MODEL_DIR: args['model-dir'], ...knobs }));
    }
    for (const service of running) {
      await runLevel({ ...levelOptions(service.baseUrl, 4, policy), seconds: 2 }); // warm-up
    }
    for (const clients of levels) {
      for (const [index, service] of running.entries()) {
        const name = services[index]?.name ?? '';
        const row = await measureLevel(service.baseUrl, clients, policy);
        rows.push({ ...row, service: name });
        console.log(
          `  ${name} ${policy} ${clients} clients: ${row.goodput.toFixed(0)} texts/s answered, ` +
            `${row.inferred.toFixed(0)} inferred, ${row.accepted} accepted, ${row.refused} refused, ` +
            `/health p99 ${row.healthMs.p99.toFixed(0)} ms, load generator ${row.generatorCores.toFixed(2)} cores`,
        );
      }
    }
  } finally {
    for (const service of running) await service.stop();
  }
}

const baseline = args.baseline
  ? (JSON.parse(readFileSync(args.baseline, 'utf8')) as { identity: RunIdentity; best: number })
  : undefined;
const bestOf = (service: string) =>
  Math.max(...rows.filter((r) => r.service === service).map((r) => r.goodput));
for (const { name } of services) {
  const best = baseline
    ? { goodput: baseline.best, identity: baseline.identity }
    : { goodput: bestOf(name), identity };
  const table: LevelRow[] = rows
    .filter((row) => row.service === name)
    .map((row) => {
      const r = goodputRatio(row.goodput, identity, best);
      return { ...row, ratio: 'ratio' in r ? r.ratio.toFixed(2) : r.refused };
    });
  console.log(
    `\n${name === 'this' ? 'this checkout' : args['compare-root']}: best goodput ` +
      `${best.goodput.toFixed(0)} texts/s (${baseline ? `baseline ${args.baseline}` : 'this run'}); ` +
      `target under overload: ≥ 0.8 of it\n`,
  );
  for (const line of formatTable(table)) console.log(line);
}
if (args.out) {
  const own = rows.filter((row) => row.service === 'this');
  writeFileSync(
    args.out,
    `${JSON.stringify({ identity, knobs, best: bestOf('this'), rows: own }, null, 2)}\n`,
  );
}

/** One level against one service, with what its /metrics said over the window. */
async function measureLevel(baseUrl: string, clients: number, policy: RetryPolicy) {
  await queueEmpty(baseUrl);
  const before = await scrapeMetrics(baseUrl);
  let after: Awaited<ReturnType<typeof scrapeMetrics>>;
  const result = await runLevel({
    ...levelOptions(baseUrl, clients, policy),
    atWindowEnd: async () => void (after = await scrapeMetrics(baseUrl)),
  });
  const delta = growth(before, after);
  return {
    ...result,
    inferred: delta('sentiment_batch_size_sum') / seconds,
    dropped: delta('sentiment_dropped_texts_total'),
  };
}

function levelOptions(baseUrl: string, clients: number, policy: RetryPolicy) {
  return { baseUrl, clients, policy, textsPerRequest, seconds, drainSeconds, texts };
}

/** Waits (bounded) until the previous level's leftovers have left the queue. */
async function queueEmpty(baseUrl: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const samples = await scrapeMetrics(baseUrl);
    if ((samples?.get('sentiment_queue_depth') ?? 0) === 0) return;
    await sleep(200);
  }
  throw new Error(`the queue did not empty within ${timeoutMs} ms`);
}
