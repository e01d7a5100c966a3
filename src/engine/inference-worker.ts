import { workerData } from 'node:worker_threads';
import { move } from 'piscina';
import { ModelSession } from '../model/session.js';
import { assembleBatch, type GraphKind, type TokenBatch } from '../model/token-batch.js';

/** What the pool hands each worker when it starts. */
export interface InferenceWorkerData {
  readonly onnxPath: string;
  readonly intraOpThreads: number;
}

const { onnxPath, intraOpThreads } = workerData as InferenceWorkerData;

// ONNX Runtime's run() is synchronous on the calling thread, so each session lives in its own
// worker and the main event loop never blocks on a forward pass. Loaded once per worker.
const session = ModelSession.load(onnxPath, { intraOpThreads });

/** Runs one batch; the logits buffer is moved back, not copied. */
export default async function runBatch(batch: TokenBatch): Promise<Float32Array> {
  const logits = await (await session).run(batch);
  // A tensor's data may be a view into a larger buffer; transfer only a standalone copy.
  const own =
    logits.byteOffset === 0 && logits.byteLength === logits.buffer.byteLength
      ? logits
      : logits.slice();
  return move(own) as unknown as Float32Array;
}

/**
 * Loads the session and runs one `[CLS] [SEP]`-sized batch through it (id 0 exists in any
 * vocabulary), so a broken graph fails at start-up; returns the graph's kind.
 */
export async function warmUp(): Promise<GraphKind> {
  const loaded = await session;
  await loaded.run(assembleBatch(loaded.kind, [{ ids: [0, 0] }]).batch);
  return loaded.kind;
}
