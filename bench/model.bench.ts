/**
 * bench:model — sequences/s of the converter's graph variants on a base-size DistilBERT with
 * random weights (speed does not depend on the weights' values), batch 1 and 32 at sequence
 * length 32, ONNX Runtime on CPU with 2 intra-op threads and every graph optimisation on.
 *
 *   flock /tmp/bench.lock npm run bench:model [-- --all] [--seconds 3] [--rounds 3]
 *
 * `--all` adds the int8 variants that lost (kept so the choice can be re-measured).
 * `--packed` instead times the SST-2 dev sentences (real lengths) through the padded graph,
 * sorted and in arrival order, and through the packed, padding-free graph, one batch strategy
 * each (bench/lib/batch-strategies.ts). Results and the decisions they led to: docs/benchmarks.md.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-node';
import { BATCH_STRATEGIES, strategyFeeds, sst2TokenIds } from './lib/batch-strategies.js';
import {
  buildEncoderGraph,
  DEFAULT_INT8_GRAPH,
  generateModel,
  PRESETS,
  readEncoderSpec,
  type GraphOptions,
} from '../src/model/convert/index.js';
import { ONNX_FILES, PACKED_ONNX_FILES } from '../src/model/model-files.js';

const { values: args } = parseArgs({
  options: {
    all: { type: 'boolean', default: false },
    seconds: { type: 'string', default: '3' },
    rounds: { type: 'string', default: '3' },
    out: { type: 'string', default: 'generated/distilbert-base' },
    measure: { type: 'string' },
    packed: { type: 'boolean', default: false },
    'measure-strategy': { type: 'string' },
  },
});
const SEQUENCE_LENGTH = 32;
const BATCHES = [1, 32];
const minSeconds = Number(args.seconds);
const rounds = Number(args.rounds);

const VARIANTS: { name: string; file: string; graph: GraphOptions; extra?: boolean }[] = [
  { name: 'fp32 plain', file: 'model.onnx', graph: {} },
  { name: 'fp32 optimised (fused)', file: 'model_optimized.onnx', graph: { fused: true } },
  { name: 'int8 (convert default)', file: 'model_quantized.onnx', graph: DEFAULT_INT8_GRAPH },
  {
    name: 'int8 MatMulInteger, fp32 embeddings',
    file: 'model_quantized_mmi_f32emb.onnx',
    graph: { int8: true, int8Kernel: 'MatMulInteger' },
    extra: true,
  },
  {
    name: 'int8 DynamicQuantizeMatMul, int8 embeddings',
    file: 'model_quantized_dqmm.onnx',
    graph: { int8: true, int8Kernel: 'DynamicQuantizeMatMul', int8Embeddings: true },
    extra: true,
  },
  {
    name: 'int8 DynamicQuantizeMatMul, fp32 embeddings',
    file: 'model_quantized_dqmm_f32emb.onnx',
    graph: { int8: true, int8Kernel: 'DynamicQuantizeMatMul' },
    extra: true,
  },
  {
    name: 'int8 + fused ops (MultiHeadAttention)',
    file: 'model_quantized_fused.onnx',
    graph: { ...DEFAULT_INT8_GRAPH, fused: true },
    extra: true,
  },
];

/** Child mode: time one graph file at every batch size and print the rates as JSON. */
async function measureFile(path: string): Promise<void> {
  const session = await ort.InferenceSession.create(path, {
    intraOpNumThreads: 2,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
  const windows: Window[] = [];
  for (const batch of BATCHES) windows.push(await measure(session, batch));
  process.stdout.write(JSON.stringify(windows));
}

async function main(): Promise<void> {
  const dir = args.out;
  if (!existsSync(join(dir, 'model.safetensors'))) {
    console.log(`generating base DistilBERT (random weights) in ${dir} …`);
    await generateModel(dir, PRESETS.base);
  }
  const spec = readEncoderSpec(dir);
  const graphDir = join(dir, 'bench');
  mkdirSync(graphDir, { recursive: true });

  const variants = VARIANTS.filter((v) => args.all || !v.extra);
  for (const variant of variants)
    writeFileSync(join(graphDir, variant.file), buildEncoderGraph(spec, variant.graph));
  // Each measurement runs in a fresh process: several large sessions in one process slowed
  // whichever ran later (docs/benchmarks.md). The machine is shared, so the variants are
  // interleaved over rounds and each cell's best window kept: other people's jobs only ever
  // slow a window down, so the fastest one is the closest to the machine's real speed. Each
  // child also reports the CPU cores its process got, so a disturbed run shows.
  const samples = variants.map(() => BATCHES.map(() => [] as Window[]));
  console.log(
    `load average before: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  for (let round = 0; round < rounds; round++) {
    for (const [v, variant] of variants.entries()) {
      const child = spawnSync(
        process.execPath,
        [
          ...process.execArgv,
          fileURLToPath(import.meta.url),
          '--measure',
          join(graphDir, variant.file),
          '--seconds',
          String(minSeconds),
        ],
        { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
      );
      if (child.status !== 0)
        throw new Error(`measuring ${variant.file} failed (exit ${child.status})`);
      const windows = JSON.parse(child.stdout) as Window[];
      windows.forEach((window, b) => samples[v]![b]!.push(window));
    }
    console.log(
      `round ${round + 1}/${rounds}: ${samples.map((s, v) => `${variants[v]!.file} ${s.map((b) => `${b.at(-1)!.rate.toFixed(0)} (${b.at(-1)!.cores.toFixed(2)} cores)`).join(' / ')}`).join(', ')}`,
    );
  }
  console.log(
    `load average after: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  const rows = variants.map((variant, v) => ({
    name: variant.name,
    perBatch: samples[v]!.map((windows) => Math.max(...windows.map((w) => w.rate))),
  }));

  const plain = rows[0]!.perBatch;
  console.log(`\n| graph | ${BATCHES.map((b) => `batch ${b} seq/s | × plain`).join(' | ')} |`);
  console.log(`|---|${BATCHES.map(() => '---:|---:').join('|')}|`);
  for (const row of rows) {
    const cells = row.perBatch.map((r, i) => `${r.toFixed(1)} | ${(r / plain[i]!).toFixed(2)}×`);
    console.log(`| ${row.name} | ${cells.join(' | ')} |`);
  }
}

/** One timing window: sequences/s, and CPU cores this process used meanwhile. */
interface Window {
  rate: number;
  cores: number;
}

/** Sequences per second at `batch` × SEQUENCE_LENGTH, after warm-up, over ≥ minSeconds. */
async function measure(session: ort.InferenceSession, batch: number): Promise<Window> {
  const count = batch * SEQUENCE_LENGTH;
  // Realistic ids (not all one token) so the Gather touches many rows; [CLS] first, no padding.
  const ids = BigInt64Array.from({ length: count }, (_, i) =>
    BigInt(i % SEQUENCE_LENGTH === 0 ? 101 : 1000 + ((i * 7919) % 29000)),
  );
  const feeds = {
    input_ids: new ort.Tensor('int64', ids, [batch, SEQUENCE_LENGTH]),
    attention_mask: new ort.Tensor('int64', new BigInt64Array(count).fill(1n), [
      batch,
      SEQUENCE_LENGTH,
    ]),
  };
  for (let i = 0; i < 2; i++) await session.run(feeds);
  let runs = 0;
  const cpuBefore = process.cpuUsage();
  const start = process.hrtime.bigint();
  let elapsed = 0;
  while (runs < 10 || elapsed < minSeconds) {
    await session.run(feeds);
    runs++;
    elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  }
  const cpu = process.cpuUsage(cpuBefore);
  return { rate: (runs * batch) / elapsed, cores: (cpu.user + cpu.system) / 1e6 / elapsed };
}

/** Child mode: time full passes over SST-2 dev in one batch strategy; print a Window as JSON. */
async function measureStrategy(index: number): Promise<void> {
  const strategy = BATCH_STRATEGIES[index]!;
  const file = strategy.graph === 'packed' ? PACKED_ONNX_FILES.fp32 : ONNX_FILES.fp32;
  const session = await ort.InferenceSession.create(join(args.out, file), {
    intraOpNumThreads: 2,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
  const sequences = sst2TokenIds(args.out);
  const { feeds, tokens } = strategyFeeds(sequences, strategy);
  // The largest run first, so ONNX Runtime's arena has grown before the clock starts.
  const largest = feeds.reduce((a, b) =>
    b.input_ids!.data.length > a.input_ids!.data.length ? b : a,
  );
  await session.run(largest);
  let passes = 0;
  const cpuBefore = process.cpuUsage();
  const start = process.hrtime.bigint();
  let elapsed = 0;
  while (passes < 1 || elapsed < minSeconds) {
    for (const feed of feeds) await session.run(feed);
    passes++;
    elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  }
  const cpu = process.cpuUsage(cpuBefore);
  const real = sequences.reduce((n, ids) => n + ids.length, 0);
  const window: StrategyWindow = {
    rate: (passes * sequences.length) / elapsed,
    cores: (cpu.user + cpu.system) / 1e6 / elapsed,
    runs: feeds.length,
    tokensPerReal: tokens / real,
  };
  process.stdout.write(JSON.stringify(window));
}

interface StrategyWindow extends Window {
  /** Graph runs per pass over the dev set. */
  runs: number;
  /** Tokens the graph computes per real token (1 = no padding). */
  tokensPerReal: number;
}

/** `--packed`: every strategy in its own child process, interleaved over rounds, best kept. */
async function mainPacked(): Promise<void> {
  const dir = args.out;
  if (!existsSync(join(dir, PACKED_ONNX_FILES.fp32))) {
    console.log(`(re)generating base DistilBERT with the packed graph in ${dir} …`);
    await generateModel(dir, PRESETS.base);
  }
  const sequences = sst2TokenIds(dir);
  const mean = sequences.reduce((n, ids) => n + ids.length, 0) / sequences.length;
  console.log(
    `${sequences.length} SST-2 dev sentences, mean ${mean.toFixed(1)} tokens, max ${Math.max(...sequences.map((s) => s.length))}; load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  const samples = BATCH_STRATEGIES.map(() => [] as StrategyWindow[]);
  for (let round = 0; round < rounds; round++) {
    for (const [i, strategy] of BATCH_STRATEGIES.entries()) {
      const child = spawnSync(
        process.execPath,
        [
          ...process.execArgv,
          fileURLToPath(import.meta.url),
          '--measure-strategy',
          String(i),
          '--out',
          dir,
          '--seconds',
          String(minSeconds),
        ],
        { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
      );
      if (child.status !== 0)
        throw new Error(`measuring ${strategy.name} failed (exit ${child.status})`);
      const window = JSON.parse(child.stdout) as StrategyWindow;
      samples[i]!.push(window);
      console.log(
        `round ${round + 1}/${rounds} ${strategy.name}: ${window.rate.toFixed(1)} seq/s (${window.cores.toFixed(2)} cores)`,
      );
    }
  }
  console.log(
    `load average after: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  const best = samples.map((windows) => windows.reduce((a, b) => (b.rate > a.rate ? b : a)));
  const reference = best[0]!.rate;
  console.log(
    '\n| batch strategy | graph runs | tokens computed / real | seq/s | × sorted batch 8 | cores |',
  );
  console.log('|---|---:|---:|---:|---:|---:|');
  BATCH_STRATEGIES.forEach((strategy, i) => {
    const w = best[i]!;
    console.log(
      `| ${strategy.name} | ${w.runs} | ${w.tokensPerReal.toFixed(2)} | ${w.rate.toFixed(1)} | ${(w.rate / reference).toFixed(2)}× | ${w.cores.toFixed(2)} |`,
    );
  });
}

if (args.measure) await measureFile(args.measure);
else if (args['measure-strategy'] !== undefined)
  await measureStrategy(Number(args['measure-strategy']));
else if (args.packed) await mainPacked();
else await main();
