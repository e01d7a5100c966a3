import { workerData } from 'node:worker_threads';
import { move, transferableSymbol, valueSymbol } from 'piscina';
import { ModelSession } from '../model/session.js';
import {
  assembleBatch,
  type BatchOutput,
  type GraphKind,
  type TokenBatch,
} from '../model/token-batch.js';

/** What the pool hands each worker when it starts. */
export interface InferenceWorkerData {
  readonly onnxPath: string;
  readonly intraOpThreads: number;
  /** Fetch the graph's [CLS] representation when it has one (SessionOptions). */
  readonly representation: boolean;
}

/** What a warmed-up worker reports of its graph. */
export interface WorkerGraph {
  readonly kind: GraphKind;
  /** Whether its batches return representations. */
  readonly representation: boolean;
}

const { onnxPath, intraOpThreads, representation } = workerData as InferenceWorkerData;

// ONNX Runtime's run() is synchronous on the calling thread, so each session lives in its own
// worker and the main event loop never blocks on a forward pass. Loaded once per worker.
const session = ModelSession.load(onnxPath, { intraOpThreads, representation });

/** Runs one batch; its output buffers are moved back, not copied. */
export default async function runBatch(batch: TokenBatch): Promise<BatchOutput> {
  const output = await (await session).run(batch);
  const logits = standalone(output.logits);
  const moved: BatchOutput = output.representation
    ? { logits, representation: standalone(output.representation) }
    : { logits };
  // One message, every buffer in its transfer list (piscina's Transferable protocol).
  const buffers = [moved.logits, moved.representation].flatMap((data) =>
    data ? [data.buffer] : [],
  );
  const transfer = { [transferableSymbol]: buffers, [valueSymbol]: moved };
  return move(transfer) as unknown as BatchOutput;
}

/** A tensor's data may be a view into a larger buffer; transfer only a standalone copy. */
function standalone(data: Float32Array): Float32Array {
  return data.byteOffset === 0 && data.byteLength === data.buffer.byteLength ? data : data.slice();
}

/**
 * Loads the session and runs one `[CLS] [SEP]`-sized batch through it (id 0 exists in any
 * vocabulary), so a broken graph fails at start-up; says what the graph gives.
 */
export async function warmUp(): Promise<WorkerGraph> {
  const loaded = await session;
  await loaded.run(assembleBatch(loaded.kind, [{ ids: [0, 0] }]).batch);
  return { kind: loaded.kind, representation: loaded.representation };
}
