/**
 * bench:serve — what the service keeps of ONNX Runtime's speed, in one run on one machine:
 *
 *   flock /tmp/bench.lock npm run bench:serve -- [--model-dir DIR] [--dtype fp32|int8] [--quick]
 *     [--env BATCH_MAX_DELAY_MS=0 ...] [--parts 1,2,3,4,5] [--pools 2x1,1x2] [--batch-sizes 1,8,32]
 *     [--node-args=--cpu-prof ...]
 *
 * (1) the raw ONNX Runtime ceiling (bench/lib/serve/ceiling.ts), (2) the service on cache
 * misses against it (misses.ts), (3) the load profile against the service with Redis and
 * against bench/noop-server.ts, then its plateau on both in paired rounds (load-profile.ts),
 * (4) one text on the idle service against a batch-1 forward pass (idle-latency.ts), (5) what
 * the monitor costs: (2) and (3) with MONITOR=1 and MONITOR=0 in paired rounds
 * (monitor-cost.ts). `--pools` lists the raw worker pools as
 * workers×threads; `--env` sets the service's knobs (src/config.ts), `--node-args` its Node
 * flags (a profile). `--dtype` (default: the environment's MODEL_DTYPE, else fp32) chooses the
 * graph every part runs, raw and served alike; a service found serving another graph stops
 * the run. Each part's file says what it measures and its target; docs/benchmarks.md keeps
 * the figures and what they decided.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { sst2Sentences } from '../devkit/sst2-sentences.js';
import { formatResult } from '../src/load/format-result.js';
import { loadConfig } from '../src/config.js';
import { ModelTokenizer } from '../src/engine/tokenizer.js';
import { readModelConfig, resolveModelFiles } from '../src/model/model-files.js';
import type { WorkerPool } from './lib/raw-ort.js';
import { addCeilingRows, measureCeiling, type Ceiling } from './lib/serve/ceiling.js';
import {
  addIdleRows,
  idleSummary,
  measureIdleLatency,
  NO_IDLE_LATENCY,
  type IdleLatency,
} from './lib/serve/idle-latency.js';
import {
  addLoadRows,
  measureLoadProfile,
  NO_LOAD_COMPARISON,
  type LoadComparison,
} from './lib/serve/load-profile.js';
import { addMissRows, measureMisses, NO_MISSES, type Misses } from './lib/serve/misses.js';
import {
  addMonitorRows,
  measureMonitorCost,
  NO_MONITOR_COST,
  type MonitorCost,
} from './lib/serve/monitor-cost.js';
import { ReportTable } from './lib/serve/report-table.js';
import { MODEL_OPTIONS } from './lib/serve/model-options.js';
import { assertServesGraph } from './lib/serve/same-graph.js';
import { startServiceChild } from './lib/serve/start-service.js';
import type { ServeContext } from './lib/serve/serve-context.js';

const { values: args } = parseArgs({
  options: {
    ...MODEL_OPTIONS,
    quick: { type: 'boolean', default: false },
    env: { type: 'string', multiple: true, default: [] },
    parts: { type: 'string', default: '1,2,3,4,5' },
    pools: { type: 'string' },
    'batch-sizes': { type: 'string' },
    out: { type: 'string' },
    'node-args': { type: 'string', multiple: true, default: [] },
  },
});
const quick = args.quick;
const parts = new Set(args.parts.split(',').map(Number));
const knobs: Record<string, string> = {
  ...Object.fromEntries(args.env.map((kv) => kv.split('=', 2) as [string, string])),
  // The one dtype of the run: the raw parts load its graph, and the child service gets it
  // explicitly rather than whatever MODEL_DTYPE this shell has.
  MODEL_DTYPE: args.dtype,
};
const config = loadConfig(knobs);
const files = resolveModelFiles(args['model-dir'], config.modelDtype);
const tokenizer = ModelTokenizer.fromModelFiles(
  files,
  readModelConfig(files.configPath).maxPositions,
);
const { sentences: all, source } = sst2Sentences();
const sentences = quick ? all.slice(0, 300) : all;
const sequences = sentences.map((s) => tokenizer.encode(s));
const pools = (
  args.pools ??
  [`${config.inferenceWorkers}x${config.inferenceThreads}`, ...(quick ? [] : ['2x1', '1x2'])].join(
    ',',
  )
)
  .split(',')
  .filter((p, i, list) => list.indexOf(p) === i)
  .map((p): WorkerPool => {
    const [workers, threads] = p.split('x').map(Number);
    return { workers: workers as number, threads: threads as number };
  });
const ctx: ServeContext = {
  quick,
  knobs,
  config,
  cores: availableParallelism(),
  files,
  tokenizer,
  sentences,
  source,
  sequences,
  meanTokens: sequences.reduce((n, s) => n + s.length, 0) / sequences.length,
  serviceEnv: { ...knobs, MODEL_DIR: files.dir },
  nodeArgs: args['node-args'],
  serviceGraph:
    config.batchPacking && files.packedOnnxPath
      ? { path: files.packedOnnxPath, kind: 'packed' }
      : { path: files.onnxPath, kind: 'padded' },
  pools,
  batchSizes: (args['batch-sizes'] ?? (quick ? '8,32' : '1,8,16,32,64')).split(',').map(Number),
};
process.stderr.write(
  `bench:serve on ${files.dir}: ${sentences.length} sentences (${source}), mean ${ctx.meanTokens.toFixed(1)} tokens\n`,
);

// (1) first, with no server running; (4) then (2) on one service with no cache, so every
// request reaches the model; (3) with Redis; (5) last, two services at once.
const ceiling: Ceiling = parts.has(1)
  ? await measureCeiling(ctx)
  : { raw: [], rawArrival: undefined };
let idle: IdleLatency = NO_IDLE_LATENCY;
let misses: Misses = NO_MISSES;
if (parts.has(2) || parts.has(4)) {
  const service = await startServiceChild(ctx, { CACHE_MEMORY_BYTES: '0' });
  try {
    await assertServesGraph(service.baseUrl, ctx.serviceGraph.path);
    if (parts.has(4)) idle = await measureIdleLatency(ctx, service);
    if (parts.has(2)) misses = await measureMisses(ctx, service, ceiling);
  } finally {
    await service.stop();
  }
}
const load: LoadComparison = parts.has(3) ? await measureLoadProfile(ctx) : NO_LOAD_COMPARISON;
const monitorCost: MonitorCost = parts.has(5) ? await measureMonitorCost(ctx) : NO_MONITOR_COST;

const table = new ReportTable();
addCeilingRows(ctx, ceiling, table);
addMissRows(ctx, misses, ceiling, table);
addLoadRows(load, table);
addIdleRows(ctx, idle, table);
addMonitorRows(monitorCost, table);
console.log(
  `\nbench:serve — ${files.dir} (${config.modelDtype}), ${ctx.cores} cores, knobs ${JSON.stringify(knobs)}`,
);
for (const line of table.format()) console.log(line);
if (load.loadService) console.log(`\n${formatResult('service + Redis', load.loadService)}`);
if (load.loadNoop) console.log(`\n${formatResult('no-op server', load.loadNoop)}`);

const out =
  args.out ?? `bench/results/serve-${new Date().toISOString().replace(/[:.]/g, '-')}.json`;
mkdirSync('bench/results', { recursive: true });
writeFileSync(
  out,
  `${JSON.stringify(
    {
      date: new Date().toISOString(),
      machine: { cores: ctx.cores, cpu: cpus()[0]?.model, loadavg: loadavg() },
      model: files.onnxPath,
      serviceGraph: ctx.serviceGraph.path,
      sentences: { count: sentences.length, source, meanTokens: ctx.meanTokens },
      knobs,
      ...ceiling,
      ...misses,
      idle: idleSummary(idle),
      ...load,
      ...monitorCost,
      table: table.rows,
    },
    // The per-second series belong to `npm run load` runs; a summary is enough here.
    (key, value: unknown) => (key === 'series' ? undefined : value),
    1,
  )}\n`,
);
console.log(`\nwritten: ${out}`);
