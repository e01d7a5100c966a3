/**
 * bench:serve part (2): the service over HTTP on the same sentences as (1), all cache misses,
 * 16 clients one sentence each; then (1)'s winning configuration and the service in
 * alternating passes (target: the service's median ≥ 0.90 of the raw median). (1) itself is
 * the best of many noisy samples, so a ratio against it compares a maximum with one draw; it
 * is printed, not judged.
 */
import type { ChildServer } from '../../../devkit/child-service.js';
import { cpuSplit, threadCpuSeconds, type CpuSplit } from '../../../devkit/thread-cpu.js';
import {
  batchStats,
  eventLoopDelay,
  scrapeMetrics,
  type BatchStats,
  type EventLoopDelay,
} from '../../../src/load/server-metrics.js';
import { RawOrt } from '../raw-ort.js';
import { missThroughput } from '../timed-requests.js';
import type { Ceiling } from './ceiling.js';
import { median, type ReportTable } from './report-table.js';
import type { ServeContext } from './serve-context.js';

/** Concurrent clients, one text per request. */
export const CLIENTS = 16;

/** What part (2) measured (every field undefined when part (2) did not run). */
export interface Misses {
  readonly miss: { seqPerS: number; errors: number } | undefined;
  readonly missEventLoop: EventLoopDelay | undefined;
  readonly missBatches: BatchStats | undefined;
  /** Cores used during the pass, per kind of thread, and by this process (the load generator). */
  readonly missCpu: (CpuSplit & { loadGenerator: number }) | undefined;
  /** Sequences/s of the paired rounds: (1)'s winner and the service, one pass each per round. */
  readonly paired: { raw: number[]; service: number[] } | undefined;
}

/** No part (2). */
export const NO_MISSES: Misses = {
  miss: undefined,
  missEventLoop: undefined,
  missBatches: undefined,
  missCpu: undefined,
  paired: undefined,
};

/** Part (2) against `service`, a running service with no cache. */
export async function measureMisses(
  ctx: ServeContext,
  service: ChildServer,
  ceiling: Ceiling,
): Promise<Misses> {
  const { config, sentences, sequences } = ctx;
  await missThroughput(service.baseUrl, sentences.slice(0, 64), CLIENTS); // warm-up
  const before = await scrapeMetrics(service.baseUrl); // also resets the event-loop histogram
  const threadsBefore = threadCpuSeconds(service.pid);
  const ownBefore = process.cpuUsage();
  const miss = await missThroughput(service.baseUrl, sentences, CLIENTS);
  const seconds = sentences.length / miss.seqPerS;
  const own = process.cpuUsage(ownBefore);
  const missCpu = {
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
  const missEventLoop = eventLoopDelay(after);
  const missBatches = batchStats(before, after, seconds, config.inferenceWorkers);
  // The ceiling is the best of many raw samples, so noise lifts it; here its winning
  // configuration and the service take turns, one pass each per round, and the medians are
  // compared: no selection, and drift lands on both.
  const top = ceiling.raw[0];
  let paired: Misses['paired'];
  if (top) {
    paired = { raw: [], service: [] };
    const path = top.graph === 'packed' ? ctx.serviceGraph.path : ctx.files.onnxPath;
    for (let round = 0; round < (ctx.quick ? 2 : 5); round++) {
      const ort = await RawOrt.start(path, top.workers, top.threads, top.graph);
      paired.raw.push(await ort.throughput(sequences, top.batchSize, 1));
      await ort.close();
      paired.service.push((await missThroughput(service.baseUrl, sentences, CLIENTS)).seqPerS);
    }
  }
  return { miss, missEventLoop, missBatches, missCpu, paired };
}

/** Part (2)'s lines of the report. */
export function addMissRows(
  ctx: ServeContext,
  misses: Misses,
  ceiling: Ceiling,
  table: ReportTable,
): void {
  const { miss, paired, missBatches, missCpu, missEventLoop } = misses;
  if (!miss) return;
  const best = ceiling.raw[0];
  const { rawArrival } = ceiling;
  table.add(
    `(2) service, all misses, ${CLIENTS} clients × 1 text`,
    `${miss.seqPerS.toFixed(1)} seq/s`,
  );
  if (best) {
    table.add(
      '    ratio (2)/(1): one service pass / best of all raw samples',
      (miss.seqPerS / best.seqPerS).toFixed(3),
      '(max of noisy samples)',
    );
  }
  if (rawArrival)
    table.add('    ratio (2)/(arrival order)', (miss.seqPerS / rawArrival).toFixed(3));
  if (paired) {
    const mid = (values: number[]) => median([...values].sort((a, b) => a - b));
    table.add(
      `    paired rounds (${paired.raw.length}): ceiling config / service, medians`,
      `${mid(paired.raw).toFixed(1)} / ${mid(paired.service).toFixed(1)} seq/s`,
    );
    const ratio = mid(paired.service) / mid(paired.raw);
    table.add('    ratio of the paired medians', ratio.toFixed(3), '≥ 0.90', ratio >= 0.9);
  }
  table.add('    errors', String(miss.errors), '0', miss.errors === 0);
  if (missBatches) {
    table.add(
      '    batches: count, mean texts, share of one text',
      `${missBatches.batches}, ${missBatches.meanSize.toFixed(2)}, ${(missBatches.singles * 100).toFixed(1)}%`,
    );
    table.add(
      '    tokens computed / real; workers busy',
      `${missBatches.computedPerReal.toFixed(3)}; ${(missBatches.busy * 100).toFixed(1)}%`,
    );
    table.add(
      '    workers without a batch, per batch; forward pass, mean',
      `${missBatches.idleMsPerBatch.toFixed(1)} ms; ${missBatches.passMs.toFixed(1)} ms`,
    );
  }
  if (missCpu)
    table.add(
      `    CPU in cores of ${ctx.cores}: workers, main thread, other threads; load generator`,
      [missCpu.workers, missCpu.mainThread, missCpu.others, missCpu.loadGenerator]
        .map((c) => c.toFixed(2))
        .join(', '),
    );
  if (missEventLoop)
    table.add(
      '    service event-loop delay p99 / max',
      `${missEventLoop.p99Ms.toFixed(1)} / ${missEventLoop.maxMs.toFixed(1)} ms`,
      '(10 ms interval incl.)',
    );
}
