/**
 * bench:serve — what the service keeps of ONNX Runtime's speed, in one run on one machine:
 *
 *   flock /tmp/bench.lock npm run bench:serve -- [--model-dir DIR] [--quick]
 *     [--env BATCH_MAX_DELAY_MS=0 ...] [--parts 1,2,3,4] [--layouts 2x1,1x2] [--batch-sizes 1,8,32]
 *
 * (1) raw ONNX Runtime in worker threads on SST-2 dev, sorted by length, the best layout, batch
 * size and graph (standard, and packed when the service runs it): the ceiling in sequences/s.
 * (2) the service over HTTP on the same sentences, all cache misses, 16 clients one sentence
 * each; then (1)'s winning configuration and the service in alternating passes: target, the
 * service's median ≥ 0.90 of the raw median. (1) itself is the best of many noisy samples,
 * so a ratio against it compares a maximum with one draw; it is printed, not judged.
 * (3) the load profile compressed, against the service with Redis and against bench/noop-server.ts: target ≥ 0.7
 * of the no-op's throughput, p99 < 20 ms, no errors. (4) one short text on the idle service
 * against batch-1 forward passes of the same graph, in alternating rounds: target ≤ 1 ms apart;
 * beside it, the no-op server's round trip around an idle wait as long as one pass, the part
 * of the difference that is this machine's HTTP and wake-up cost.
 * `--env` sets the service's knobs (src/config.ts).
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { RedisServer } from '../test/fixtures/redis-server.js';
import { BUNDLED_MODEL_DIR, loadConfig } from '../src/config.js';
import { ModelTokenizer } from '../src/engine/tokenizer.js';
import { readModelConfig, resolveModelFiles } from '../src/model/model-files.js';
import type { GraphKind } from '../src/model/token-batch.js';
import { formatResult } from '../load/format-result.js';
import { loadProfile, parseStages } from '../load/profile.js';
import { runLoad, type LoadResult } from '../load/run-load.js';
import { batchStats, eventLoopDelay, growth, scrapeMetrics } from '../load/server-metrics.js';
import { heldRoundTrips, missThroughput, requestLatencies, startChild } from './child-servers.js';
import { rawCeiling, RawOrt, type RawRate } from './raw-ort.js';
import { sst2Sentences } from './sst2-sentences.js';
import { cpuSplit, threadCpuSeconds, type CpuSplit } from './thread-cpu.js';

const BASE_MODEL = 'generated/distilbert-base';
const { values: args } = parseArgs({
  options: {
    'model-dir': {
      type: 'string',
      default: existsSync(join(BASE_MODEL, 'onnx', 'model.onnx')) ? BASE_MODEL : BUNDLED_MODEL_DIR,
    },
    quick: { type: 'boolean', default: false },
    env: { type: 'string', multiple: true, default: [] },
    parts: { type: 'string', default: '1,2,3,4' },
    layouts: { type: 'string' },
    'batch-sizes': { type: 'string' },
    out: { type: 'string' },
  },
});
const quick = args.quick;
const parts = new Set(args.parts.split(',').map(Number));
const knobs = Object.fromEntries(args.env.map((kv) => kv.split('=', 2) as [string, string]));
const config = loadConfig(knobs);
const cores = availableParallelism();
const SHORT_TEXT = 'I love you';
const CLIENTS = 16;

const files = resolveModelFiles(args['model-dir'], config.modelDtype);
const tokenizer = ModelTokenizer.fromModelFiles(
  files,
  readModelConfig(files.configPath).maxPositions,
);
const { sentences: all, source } = sst2Sentences();
const sentences = quick ? all.slice(0, 300) : all;
const sequences = sentences.map((s) => tokenizer.encode(s));
const meanTokens = sequences.reduce((n, s) => n + s.length, 0) / sequences.length;
const serviceEnv = { ...knobs, MODEL_DIR: files.dir };
const log = (line: string): void => void process.stderr.write(`${line}\n`);
log(
  `bench:serve on ${files.dir}: ${sentences.length} sentences (${source}), mean ${meanTokens.toFixed(1)} tokens`,
);

const layouts = (
  args.layouts ??
  [`${config.inferenceWorkers}x${config.inferenceThreads}`, ...(quick ? [] : ['2x1', '1x2'])].join(
    ',',
  )
)
  .split(',')
  .filter((l, i, list) => list.indexOf(l) === i)
  .map((l) => {
    const [workers, threads] = l.split('x').map(Number);
    return { workers: workers as number, threads: threads as number };
  });
const batchSizes = (args['batch-sizes'] ?? (quick ? '8,32' : '1,8,16,32,64'))
  .split(',')
  .map(Number);

// The graph the service will run (src/engine/engine.ts picks the same one).
const serviceGraph: { path: string; kind: GraphKind } =
  config.batchPacking && files.packedOnnxPath
    ? { path: files.packedOnnxPath, kind: 'packed' }
    : { path: files.onnxPath, kind: 'padded' };

// (1) the ceiling, before any server runs so nothing else competes for the cores: the standard
// graph and, when the service runs it, the packed one, each sorted by length; the best of all.
let raw: RawRate[] = [];
const rawBatch1Ms: number[] = [];
let rawArrival: number | undefined;
if (parts.has(1)) {
  const rounds = quick ? 1 : 2;
  raw = await rawCeiling(files.onnxPath, 'padded', sequences, layouts, batchSizes, rounds);
  if (serviceGraph.kind === 'packed') {
    raw.push(
      ...(await rawCeiling(serviceGraph.path, 'packed', sequences, layouts, batchSizes, rounds)),
    );
    raw.sort((a, b) => b.seqPerS - a.seqPerS);
  }
  // The service's graph in the best layout, cut as a batcher that only ever sees 16 texts must
  // cut them: arrival order, BATCH_MAX_ITEMS a batch. What the service could reach, HTTP aside.
  const top = raw[0] as RawRate;
  const ort = await RawOrt.start(serviceGraph.path, top.workers, top.threads, serviceGraph.kind);
  rawArrival = await ort.throughput(sequences, config.batchMaxItems, rounds, false);
  await ort.close();
}

// (2) and (4) on a service with no cache: every request reaches the model.
let miss: { seqPerS: number; errors: number } | undefined;
let missEventLoop;
let missBatches;
let missCpu: (CpuSplit & { loadGenerator: number }) | undefined;
const serviceIdleMs: number[] = [];
const httpFloorMs: number[] = [];
let serviceForwardMs: number | undefined;
let paired: { raw: number[]; service: number[] } | undefined;
if (parts.has(2) || parts.has(4)) {
  const service = await startChild('service', { ...serviceEnv, CACHE_MEMORY_BYTES: '0' });
  try {
    if (parts.has(4)) {
      // Raw batch 1 and the idle service in alternating rounds, so drift on this shared
      // machine (seen: ±1 ms between minutes) lands on both sides alike. The raw session is
      // started afresh each round and closed before the service is timed: two resident copies
      // of the weights would evict each other from the CPU cache.
      // The no-op server held as long as the round's raw pass gives HTTP's own cost on this
      // machine when both ends have idled that long (a vCPU woken from halt pays for it).
      const ids = tokenizer.encode(SHORT_TEXT);
      const noop = await startChild('noop', {});
      const before = await scrapeMetrics(service.baseUrl);
      try {
        for (let round = 0; round < (quick ? 2 : 6); round++) {
          const ort = await RawOrt.start(
            serviceGraph.path,
            1,
            config.inferenceThreads,
            serviceGraph.kind,
          );
          const rawMs = await ort.latencies(ids, 50);
          await ort.close();
          rawBatch1Ms.push(...rawMs);
          serviceIdleMs.push(...(await requestLatencies(service.baseUrl, SHORT_TEXT, 50)));
          const hold = Math.round(rawMs[rawMs.length >> 1] as number);
          httpFloorMs.push(...(await heldRoundTrips(noop.baseUrl, hold, 50)));
        }
      } finally {
        await noop.stop();
      }
      // The service's own account of its forward passes (worker hand-off included): splits
      // the difference into the HTTP path and the worker.
      const after = await scrapeMetrics(service.baseUrl);
      const delta = growth(before, after);
      serviceForwardMs =
        (delta('sentiment_inference_duration_seconds_sum') /
          delta('sentiment_inference_duration_seconds_count')) *
        1000;
      rawBatch1Ms.sort((a, b) => a - b);
      serviceIdleMs.sort((a, b) => a - b);
      httpFloorMs.sort((a, b) => a - b);
    }
    if (parts.has(2)) {
      await missThroughput(service.baseUrl, sentences.slice(0, 64), CLIENTS); // warm-up
      const before = await scrapeMetrics(service.baseUrl); // also resets the event-loop histogram
      const threadsBefore = threadCpuSeconds(service.pid);
      const ownBefore = process.cpuUsage();
      miss = await missThroughput(service.baseUrl, sentences, CLIENTS);
      const seconds = sentences.length / miss.seqPerS;
      const own = process.cpuUsage(ownBefore);
      missCpu = {
        ...cpuSplit(
          service.pid,
          threadsBefore,
          threadCpuSeconds(service.pid),
          seconds,
          config.inferenceWorkers,
        ),
        loadGenerator: (own.user + own.system) / 1e6 / seconds,
      };
      const after = await scrapeMetrics(service.baseUrl);
      missEventLoop = eventLoopDelay(after);
      missBatches = batchStats(before, after, seconds, config.inferenceWorkers);
      // The ceiling above is the best of many raw samples, so noise lifts it; here its winning
      // configuration and the service take turns, one pass each per round, and the medians
      // are compared: no selection, and drift lands on both.
      const top = raw[0];
      if (top) {
        paired = { raw: [], service: [] };
        const path = top.graph === 'packed' ? serviceGraph.path : files.onnxPath;
        for (let round = 0; round < (quick ? 2 : 5); round++) {
          const ort = await RawOrt.start(path, top.workers, top.threads, top.graph);
          paired.raw.push(await ort.throughput(sequences, top.batchSize, 1));
          await ort.close();
          paired.service.push((await missThroughput(service.baseUrl, sentences, CLIENTS)).seqPerS);
        }
      }
    }
  } finally {
    await service.stop();
  }
}

// (3) the load profile, compressed: the service with Redis, then the no-op server.
let loadService: LoadResult | undefined;
let loadNoop: LoadResult | undefined;
if (parts.has(3)) {
  const profile = loadProfile({
    stages: parseStages(quick ? '2s:10,6s:10,2s:0' : '5s:10,20s:10,5s:0'),
  });
  const redis = await RedisServer.start();
  const service = await startChild('service', { ...serviceEnv, REDIS_URL: redis.url });
  try {
    loadService = await runLoad({ baseUrl: service.baseUrl, profile });
  } finally {
    await service.stop();
    await redis.stop();
  }
  const noop = await startChild('noop', {});
  try {
    loadNoop = await runLoad({ baseUrl: noop.baseUrl, profile, checkRowCount: false });
  } finally {
    await noop.stop();
  }
}

// The report.
const best = raw[0];
const median = (sorted: number[]): number => sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
const rows: [string, string, string, boolean | undefined][] = [];
const add = (what: string, value: string, target = '', ok?: boolean): void =>
  void rows.push([what, value, target, ok]);
if (best) {
  add(
    `(1) raw ORT ceiling, ${best.graph} graph, ${best.workers} workers × ${best.threads} threads, batch ${best.batchSize}, sorted`,
    `${best.seqPerS.toFixed(1)} seq/s`,
  );
  for (const graph of ['padded', 'packed'] as const) {
    const top = raw.find((r) => r.graph === graph);
    if (top && top !== best)
      add(
        `    best of the ${graph} graph (${top.workers}×${top.threads}, batch ${top.batchSize})`,
        `${top.seqPerS.toFixed(1)} seq/s`,
      );
  }
  if (rawArrival)
    add(
      `    ${serviceGraph.kind} graph, arrival order, batch ${config.batchMaxItems}`,
      `${rawArrival.toFixed(1)} seq/s`,
    );
}
if (miss) {
  add(`(2) service, all misses, ${CLIENTS} clients × 1 text`, `${miss.seqPerS.toFixed(1)} seq/s`);
  if (best) {
    add(
      '    ratio (2)/(1): one service pass / best of all raw samples',
      (miss.seqPerS / best.seqPerS).toFixed(3),
      '(max of noisy samples)',
    );
  }
  if (rawArrival) add('    ratio (2)/(arrival order)', (miss.seqPerS / rawArrival).toFixed(3));
  if (paired) {
    const mid = (values: number[]) => median([...values].sort((a, b) => a - b));
    add(
      `    paired rounds (${paired.raw.length}): ceiling config / service, medians`,
      `${mid(paired.raw).toFixed(1)} / ${mid(paired.service).toFixed(1)} seq/s`,
    );
    const ratio = mid(paired.service) / mid(paired.raw);
    add('    ratio of the paired medians', ratio.toFixed(3), '≥ 0.90', ratio >= 0.9);
  }
  add('    errors', String(miss.errors), '0', miss.errors === 0);
  if (missBatches)
    add(
      '    batches: count, mean texts, share of one text',
      `${missBatches.batches}, ${missBatches.meanSize.toFixed(2)}, ${(missBatches.singles * 100).toFixed(1)}%`,
    );
  if (missBatches)
    add(
      '    tokens computed / real; workers busy',
      `${missBatches.computedPerReal.toFixed(3)}; ${(missBatches.busy * 100).toFixed(1)}%`,
    );
  if (missCpu)
    add(
      `    CPU in cores of ${cores}: workers, main thread, other threads; load generator`,
      [missCpu.workers, missCpu.mainThread, missCpu.others, missCpu.loadGenerator]
        .map((c) => c.toFixed(2))
        .join(', '),
    );
  if (missEventLoop)
    add(
      '    service event-loop delay p99 / max',
      `${missEventLoop.p99Ms.toFixed(1)} / ${missEventLoop.maxMs.toFixed(1)} ms`,
      '(10 ms interval incl.)',
    );
}
if (loadService && loadNoop) {
  const ratio = loadService.plateauPredictPerS / loadNoop.plateauPredictPerS;
  const s = loadService.predict;
  add(
    '(3) load profile, service + Redis, /predict at 10 users',
    `${loadService.plateauPredictPerS.toFixed(0)} req/s`,
  );
  add('    no-op server, same profile', `${loadNoop.plateauPredictPerS.toFixed(0)} req/s`);
  add('    ratio service / no-op', ratio.toFixed(3), '≥ 0.70', ratio >= 0.7);
  add(
    '    service /predict p50 / p90 / p95 / p99',
    [s.p50Ms, s.p90Ms, s.p95Ms, s.p99Ms].map((v) => v.toFixed(2)).join(' / ') + ' ms',
    'p99 < 20 ms',
    s.p99Ms < 20,
  );
  const n = loadNoop.predict;
  add(
    '    no-op /predict p50 / p90 / p95 / p99',
    [n.p50Ms, n.p90Ms, n.p95Ms, n.p99Ms].map((v) => v.toFixed(2)).join(' / ') + ' ms',
  );
  add(
    '    errors (service, no-op)',
    `${loadService.errorCount}, ${loadNoop.errorCount}`,
    '0',
    loadService.errorCount + loadNoop.errorCount === 0,
  );
  add('    cache hit ratio (x-cache-hits)', `${(loadService.cacheHitRatio * 100).toFixed(2)}%`);
  if (loadService.eventLoop)
    add(
      '    service event-loop delay p99 / max',
      `${loadService.eventLoop.p99Ms.toFixed(1)} / ${loadService.eventLoop.maxMs.toFixed(1)} ms`,
      '(10 ms interval incl.)',
    );
}
if (serviceIdleMs.length && rawBatch1Ms.length) {
  const diff = median(serviceIdleMs) - median(rawBatch1Ms);
  add(
    `(4) idle service, one text ("${SHORT_TEXT}"), median of ${serviceIdleMs.length}`,
    `${median(serviceIdleMs).toFixed(3)} ms`,
  );
  add(
    `    raw ORT batch 1, ${serviceGraph.kind} graph, ${config.inferenceThreads} thread(s), median of ${rawBatch1Ms.length}, rounds alternated`,
    `${median(rawBatch1Ms).toFixed(3)} ms`,
  );
  add('    difference', `${diff.toFixed(3)} ms`, '≤ 1 ms', diff <= 1);
  if (serviceForwardMs !== undefined)
    add(
      '    service forward pass incl. worker hand-off, mean (/metrics)',
      `${serviceForwardMs.toFixed(3)} ms`,
    );
  if (httpFloorMs.length) {
    add(
      '    HTTP round trip around an idle wait of one pass (no-op server)',
      `${median(httpFloorMs).toFixed(3)} ms`,
    );
    add(
      '    difference beyond that HTTP round trip',
      `${(diff - median(httpFloorMs)).toFixed(3)} ms`,
    );
  }
}
const width = Math.max(...rows.map((r) => r[0].length));
console.log(
  `\nbench:serve — ${files.dir} (${config.modelDtype}), ${cores} cores, knobs ${JSON.stringify(knobs)}`,
);
for (const [what, value, target, ok] of rows) {
  console.log(
    `${what.padEnd(width)}  ${value.padStart(26)}  ${target.padEnd(22)}${ok === undefined ? '' : ok ? 'ok' : 'MISSED'}`,
  );
}
if (loadService) console.log(`\n${formatResult('service + Redis', loadService)}`);
if (loadNoop) console.log(`\n${formatResult('no-op server', loadNoop)}`);

const out =
  args.out ?? `bench/results/serve-${new Date().toISOString().replace(/[:.]/g, '-')}.json`;
mkdirSync('bench/results', { recursive: true });
writeFileSync(
  out,
  `${JSON.stringify(
    {
      date: new Date().toISOString(),
      machine: { cores, cpu: cpus()[0]?.model, loadavg: loadavg() },
      model: files.onnxPath,
      serviceGraph: serviceGraph.path,
      sentences: { count: sentences.length, source, meanTokens },
      knobs,
      raw,
      rawArrival,
      miss,
      missEventLoop,
      missBatches,
      missCpu,
      paired,
      idle: {
        serviceMedianMs: median(serviceIdleMs),
        rawBatch1MedianMs: median(rawBatch1Ms),
        serviceForwardMeanMs: serviceForwardMs,
        httpFloorMedianMs: median(httpFloorMs),
      },
      loadService,
      loadNoop,
      table: rows,
    },
    // The per-second series belong to `npm run load` runs; a summary is enough here.
    (key, value: unknown) => (key === 'series' ? undefined : value),
    1,
  )}\n`,
);
console.log(`\nwritten: ${out}`);
