import { workerData } from 'node:worker_threads';
import { move } from 'piscina';
import { ModelSession, type TokenBatch } from '../model/session.js';

/** What the pool hands each worker when it starts. */
export interface InferenceWorkerData {
  readonly onnxPath: string;
  readonly intraOpThreads: number;
}

const { onnxPath, intraOpThreads } = workerData as InferenceWorkerData;

// ONNX Runtime's run() is synchronous on the calling thread, so each session lives in its own
// worker and the main event loop never blocks on a forward pass. Loaded once per worker.
const session = ModelSession.load(onnxPath, { intraOpThreads });

/** Runs one padded batch; the logits buffer is moved back, not copied. */
export default async function runBatch(batch: TokenBatch): Promise<Float32Array> {
  const logits = await (await session).run(batch);
  // A tensor's data may be a view into a larger buffer; transfer only a standalone copy.
  const own =
    logits.byteOffset === 0 && logits.byteLength === logits.buffer.byteLength
      ? logits
      : logits.slice();
  return move(own) as unknown as Float32Array;
}
