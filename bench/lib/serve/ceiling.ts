/**
 * bench:serve part (1): raw ONNX Runtime in worker threads on the sentences, sorted by length,
 * every pool and batch size, the standard graph and (when the service runs it) the packed one:
 * the ceiling in sequences/s. Runs before any server, so nothing else competes for the cores.
 */
import { rawCeiling, RawOrt, type RawRate } from '../raw-ort.js';
import type { ReportTable } from './report-table.js';
import type { ServeContext } from './serve-context.js';

/** What part (1) measured. */
export interface Ceiling {
  /** Every raw configuration's rate, best first (empty when part (1) did not run). */
  readonly raw: RawRate[];
  /** The service's graph in the best pool, arrival order, BATCH_MAX_ITEMS a batch. */
  readonly rawArrival: number | undefined;
}

/** Part (1): the ceiling, and what the service's own batch cut could reach. */
export async function measureCeiling(ctx: ServeContext): Promise<Ceiling> {
  const { files, serviceGraph, sequences, pools, batchSizes, config } = ctx;
  const rounds = ctx.quick ? 1 : 2;
  const raw = await rawCeiling(files.onnxPath, 'padded', sequences, pools, batchSizes, rounds);
  if (serviceGraph.kind === 'packed') {
    raw.push(
      ...(await rawCeiling(serviceGraph.path, 'packed', sequences, pools, batchSizes, rounds)),
    );
    raw.sort((a, b) => b.seqPerS - a.seqPerS);
  }
  // The service's graph in the best pool, cut as a batcher that only ever sees 16 texts must
  // cut them: arrival order, BATCH_MAX_ITEMS a batch. What the service could reach, HTTP aside.
  const top = raw[0] as RawRate;
  const ort = await RawOrt.start(serviceGraph.path, top.workers, top.threads, serviceGraph.kind);
  const rawArrival = await ort.throughput(sequences, config.batchMaxItems, rounds, false);
  await ort.close();
  return { raw, rawArrival };
}

/** Part (1)'s lines of the report. */
export function addCeilingRows(ctx: ServeContext, ceiling: Ceiling, table: ReportTable): void {
  const { raw, rawArrival } = ceiling;
  const best = raw[0];
  if (!best) return;
  table.add(
    `(1) raw ORT ceiling, ${best.graph} graph, ${best.workers} workers × ${best.threads} threads, batch ${best.batchSize}, sorted`,
    `${best.seqPerS.toFixed(1)} seq/s`,
  );
  for (const graph of ['padded', 'packed'] as const) {
    const top = raw.find((r) => r.graph === graph);
    if (top && top !== best)
      table.add(
        `    best of the ${graph} graph (${top.workers}×${top.threads}, batch ${top.batchSize})`,
        `${top.seqPerS.toFixed(1)} seq/s`,
      );
  }
  if (rawArrival)
    table.add(
      `    ${ctx.serviceGraph.kind} graph, arrival order, batch ${ctx.config.batchMaxItems}`,
      `${rawArrival.toFixed(1)} seq/s`,
    );
}
