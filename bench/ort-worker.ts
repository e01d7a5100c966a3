/**
 * A piscina worker of bench/raw-ort.ts: one ONNX Runtime session set up as src/model/session.ts
 * sets it up, timing only `session.run` (the ceiling of what the service can serve).
 */
import { workerData } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';
import type { TokenBatch } from '../src/model/session.js';

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
const loading = ort.InferenceSession.create(onnxPath, {
  graphOptimizationLevel: 'all',
  intraOpNumThreads: intraOpThreads,
  interOpNumThreads: 1,
  executionMode: 'sequential',
});

async function forward(batch: TokenBatch): Promise<void> {
  const session = await loading;
  const dims = [batch.rows, batch.seqLen];
  const feeds: Record<string, ort.Tensor> = {
    input_ids: new ort.Tensor('int64', batch.inputIds, dims),
    attention_mask: new ort.Tensor('int64', batch.attentionMask, dims),
  };
  if (session.inputNames.includes('token_type_ids')) {
    feeds.token_type_ids = new ort.Tensor(
      'int64',
      new BigInt64Array(batch.rows * batch.seqLen),
      dims,
    );
  }
  await session.run(feeds, ['logits']);
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
