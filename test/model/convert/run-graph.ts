import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';

/** A loaded graph that maps batches of token ids (right-padded with 0s) to logits rows. */
export interface GraphRunner {
  logits(batch: readonly (readonly number[])[]): Promise<number[][]>;
  release(): Promise<void>;
}

/** Loads an ONNX graph (bytes or path) with the options the service uses. */
export async function loadGraph(graph: Uint8Array | string): Promise<GraphRunner> {
  const options: ort.InferenceSession.SessionOptions = {
    intraOpNumThreads: 1,
    graphOptimizationLevel: 'all',
  };
  const session =
    typeof graph === 'string'
      ? await ort.InferenceSession.create(graph, options)
      : await ort.InferenceSession.create(graph, options);
  return {
    async logits(batch) {
      const length = Math.max(...batch.map((ids) => ids.length));
      const ids = new BigInt64Array(batch.length * length);
      const mask = new BigInt64Array(batch.length * length);
      batch.forEach((row, b) =>
        row.forEach((id, t) => {
          ids[b * length + t] = BigInt(id);
          mask[b * length + t] = 1n;
        }),
      );
      const dims = [batch.length, length];
      const out = await session.run({
        input_ids: new ort.Tensor('int64', ids, dims),
        attention_mask: new ort.Tensor('int64', mask, dims),
      });
      const logits = out.logits!;
      const labels = logits.dims[1]!;
      const data = logits.data as Float32Array;
      return batch.map((_, b) => Array.from(data.subarray(b * labels, (b + 1) * labels)));
    },
    release: () => session.release(),
  };
}

/** Largest absolute difference between two equally shaped logits tables. */
export function maxAbsDiff(
  a: readonly (readonly number[])[],
  b: readonly (readonly number[])[],
): number {
  let max = 0;
  a.forEach((row, i) => row.forEach((x, j) => (max = Math.max(max, Math.abs(x - b[i]![j]!)))));
  return max;
}

/** The packed graph's feeds for `sequences` concatenated into one row (see buildEncoderGraph). */
export function packedFeeds(sequences: readonly (readonly number[])[]): Record<string, ort.Tensor> {
  const total = sequences.reduce((n, ids) => n + ids.length, 0);
  const ids = new BigInt64Array(total);
  const positions = new BigInt64Array(total);
  const segments = new BigInt64Array(total);
  const cls = new BigInt64Array(sequences.length);
  let t = 0;
  sequences.forEach((sequence, s) => {
    cls[s] = BigInt(t);
    sequence.forEach((id, p) => {
      ids[t] = BigInt(id);
      positions[t] = BigInt(p);
      segments[t] = BigInt(s);
      t++;
    });
  });
  const row = [1, total];
  return {
    input_ids: new ort.Tensor('int64', ids, row),
    position_ids: new ort.Tensor('int64', positions, row),
    segment_ids: new ort.Tensor('int64', segments, row),
    cls_index: new ort.Tensor('int64', cls, [sequences.length]),
  };
}

/** Loads a packed graph: `logits` packs its sequences into one row and runs them at once. */
export async function loadPackedGraph(graph: Uint8Array | string): Promise<GraphRunner> {
  const options: ort.InferenceSession.SessionOptions = {
    intraOpNumThreads: 1,
    graphOptimizationLevel: 'all',
  };
  const session =
    typeof graph === 'string'
      ? await ort.InferenceSession.create(graph, options)
      : await ort.InferenceSession.create(graph, options);
  return {
    async logits(sequences) {
      const logits = (await session.run(packedFeeds(sequences))).logits!;
      assert.deepEqual(logits.dims, [sequences.length, logits.dims[1]]);
      const labels = logits.dims[1]!;
      const data = logits.data as Float32Array;
      return sequences.map((_, s) => Array.from(data.subarray(s * labels, (s + 1) * labels)));
    },
    release: () => session.release(),
  };
}
