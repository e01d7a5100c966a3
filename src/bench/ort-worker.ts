/**
 * A piscina worker of raw-ort.ts: one ONNX Runtime session through model/session.ts, timing
 * only `session.run` (the ceiling of what the service can serve).
 */
import { workerData } from 'node:worker_threads';
import { ModelSession } from '../model/session.js';
import type { TokenBatch } from '../model/token-batch.js';

/** What the worker is started with. */
export interface OrtWorkerData {
  readonly onnxPath: string;
  readonly intraOpThreads: number;
}

/** `run`: every batch once, back to back; `repeat`: one batch `times` times, each timed. */
export type OrtWorkerRequest =
  | { readonly kind: 'run'; readonly batches: readonly TokenBatch[] }
  | { readonly kind: 'repeat'; readonly batch: TokenBatch; readonly times: number };

const { onnxPath, intraOpThreads } = workerData as OrtWorkerData;
// The service's own session wrapper, so "raw" pays exactly the service's per-run costs.
const loading = ModelSession.load(onnxPath, { intraOpThreads });

async function forward(batch: TokenBatch): Promise<void> {
  await (await loading).run(batch);
}

/** Runs one request; answers the elapsed ms (`run`) or each run's ms (`repeat`). */
export default async function handle(
  request: OrtWorkerRequest,
): Promise<{ ms: number } | { times: number[] }> {
  await loading;
  if (request.kind === 'run') {
    const start = performance.now();
    for (const batch of request.batches) await forward(batch);
    return { ms: performance.now() - start };
  }
  const times: number[] = [];
  for (let i = 0; i < request.times; i++) {
    const start = performance.now();
    await forward(request.batch);
    times.push(performance.now() - start);
  }
  return { times };
}
