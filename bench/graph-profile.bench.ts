/**
 * bench:profile — where a forward pass spends its time, per ONNX op type, for each way of
 * cutting SST-2 dev into graph runs (bench/lib/batch-strategies.ts), with ONNX Runtime's own
 * profiler on one intra-op thread:
 *
 *   flock /tmp/bench.lock npm run bench:profile -- [--model-dir DIR] [--dtype fp32|int8] [--sentences 320]
 *
 * Each strategy runs once to warm up, then once profiled; the table gives milliseconds per op
 * type and each strategy's total. Last, the padded attention area of the packed graph's two
 * groups against one group and against length-sorted batches, on all of SST-2 dev. The
 * profiler adds its own overhead: compare rows, not totals with bench:model.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-node';
import { pack } from '../src/model/token-batch.js';
import { ONNX_FILES, PACKED_ONNX_FILES } from '../src/model/model-files.js';
import { strategyFeeds, sst2TokenIds, type BatchStrategy } from './lib/batch-strategies.js';

const { values: args } = parseArgs({
  options: {
    'model-dir': { type: 'string', default: 'generated/distilbert-base' },
    dtype: { type: 'string', default: 'fp32' },
    sentences: { type: 'string', default: '320' },
  },
});
const dir = args['model-dir'];
if (args.dtype !== 'fp32' && args.dtype !== 'int8') {
  throw new Error(`bench:profile: --dtype is fp32 or int8, not ${args.dtype}`);
}
const dtype: 'fp32' | 'int8' = args.dtype;
const all = sst2TokenIds(dir);
const sequences = all.slice(0, Number(args.sentences));

const STRATEGIES: readonly BatchStrategy[] = [
  { name: 'normal, sorted, batch 8', graph: 'padded', size: 8, sorted: true },
  { name: 'packed, sorted, 8 per pack', graph: 'packed', size: 8, sorted: true },
  { name: 'packed, arrival order, 8 per pack', graph: 'packed', size: 8, sorted: false },
];

/** One event of ORT's Chrome-trace profile (only the fields read here). */
interface ProfileEvent {
  readonly cat: string;
  readonly name: string;
  readonly dur: number;
  readonly args?: { readonly op_name?: string };
}

const byStrategy: Map<string, number>[] = [];
const scratch = mkdtempSync(join(tmpdir(), 'ort-profile-'));
try {
  for (const strategy of STRATEGIES) {
    const file = join(dir, (strategy.graph === 'packed' ? PACKED_ONNX_FILES : ONNX_FILES)[dtype]);
    const { feeds } = strategyFeeds(sequences, strategy);
    const warm = await ort.InferenceSession.create(file, { intraOpNumThreads: 1 });
    for (const feed of feeds) await warm.run(feed);
    await warm.release();
    const session = await ort.InferenceSession.create(file, {
      graphOptimizationLevel: 'all',
      intraOpNumThreads: 1,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      enableProfiling: true,
      profileFilePrefix: join(scratch, `strategy${byStrategy.length}`),
    });
    for (const feed of feeds) await session.run(feed);
    // endProfiling writes the trace; the binding does not return its path, so find it.
    session.endProfiling();
    await session.release();
    const trace = readdirSync(scratch).find((f) => f.startsWith(`strategy${byStrategy.length}`));
    const events = JSON.parse(readFileSync(join(scratch, trace!), 'utf8')) as ProfileEvent[];
    const ms = new Map<string, number>();
    for (const event of events) {
      if (event.cat !== 'Node' || !event.name.endsWith('_kernel_time')) continue;
      const op = event.args?.op_name ?? '?';
      ms.set(op, (ms.get(op) ?? 0) + event.dur / 1000);
    }
    byStrategy.push(ms);
    process.stderr.write(`profiled ${strategy.name}\n`);
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}

const ops = [...new Set(byStrategy.flatMap((ms) => [...ms.keys()]))]
  .map((op) => ({ op, most: Math.max(...byStrategy.map((ms) => ms.get(op) ?? 0)) }))
  .filter(({ most }) => most >= 1)
  .sort((a, b) => b.most - a.most)
  .map(({ op }) => op);
console.log(`\n${sequences.length} SST-2 dev sentences, ${dir}, ms per op type (1 thread)\n`);
console.log(`| op | ${STRATEGIES.map((l) => l.name).join(' | ')} |`);
console.log(`|---|${STRATEGIES.map(() => '---:').join('|')}|`);
for (const op of ops) {
  console.log(`| ${op} | ${byStrategy.map((ms) => (ms.get(op) ?? 0).toFixed(1)).join(' | ')} |`);
}
const totals = byStrategy.map((ms) => [...ms.values()].reduce((a, b) => a + b, 0));
console.log(`| **total** | ${totals.map((t) => t.toFixed(1)).join(' | ')} |`);

// Attention's padded area (Σ rows × longest² over the graph runs) on all of SST-2 dev in
// batches of 8: what the packed graph's two groups save over one, against sorted batches.
const batchesOf8 = (ordered: number[][]) =>
  Array.from({ length: Math.ceil(ordered.length / 8) }, (_, i) => ordered.slice(i * 8, i * 8 + 8));
const oneGroup = (batch: number[][]) => batch.length * Math.max(...batch.map((s) => s.length)) ** 2;
const sortedArea = batchesOf8([...all].sort((a, b) => a.length - b.length))
  .map(oneGroup)
  .reduce((a, b) => a + b, 0);
const arrival = batchesOf8(all);
const oneArea = arrival.map(oneGroup).reduce((a, b) => a + b, 0);
const twoArea = arrival
  .map((batch) => {
    const { long, short } = pack(batch.map((ids) => ({ ids }))).batch;
    // A masked dummy short group (one slot) only keeps shapes non-empty: not attention work.
    const shortArea = short.attentionMask.some((m) => m === 1n)
      ? short.rows * short.seqLen ** 2
      : 0;
    return long.rows * long.seqLen ** 2 + shortArea;
  })
  .reduce((a, b) => a + b, 0);
console.log(
  `\nattention area, ${all.length} sentences in batches of 8, × length-sorted batches: arrival order, one group ${(oneArea / sortedArea).toFixed(2)}; two groups ${(twoArea / sortedArea).toFixed(2)}`,
);
