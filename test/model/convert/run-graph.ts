import assert from 'node:assert/strict';
import { assembleBatch } from '../../../src/model/token-batch.js';
import { ModelSession } from '../../../src/model/session.js';

/** A loaded graph that maps batches of token ids to logits rows. */
export interface GraphRunner {
  logits(batch: readonly (readonly number[])[]): Promise<number[][]>;
  /** Each sequence's `cls_representation` row; undefined when the graph has no such output. */
  representations(batch: readonly (readonly number[])[]): Promise<number[][] | undefined>;
  release(): Promise<void>;
}

/**
 * Loads an ONNX graph (bytes or path) through the service's own session wrapper, and runs
 * batches as the service does (`assembleBatch`: right-padded for the standard graph, packed for
 * the packed graph). The session must find the kind the caller expects.
 */
async function load(graph: Uint8Array | string, packed: boolean): Promise<GraphRunner> {
  const session = await ModelSession.load(graph, { intraOpThreads: 1 });
  assert.equal(session.kind, packed ? 'packed' : 'padded');
  const run = (batch: readonly (readonly number[])[]) =>
    session.run(
      assembleBatch(
        session.kind,
        batch.map((ids) => ({ ids })),
      ).batch,
    );
  const split = (data: Float32Array, rows: number) => {
    const width = data.length / rows;
    return Array.from({ length: rows }, (_, b) =>
      Array.from(data.subarray(b * width, (b + 1) * width)),
    );
  };
  return {
    async logits(batch) {
      return split((await run(batch)).logits, batch.length);
    },
    async representations(batch) {
      const { representation } = await run(batch);
      return representation && split(representation, batch.length);
    },
    release: () => session.release(),
  };
}

/** Loads a standard graph (`input_ids`, `attention_mask` → `logits`). */
export function loadGraph(graph: Uint8Array | string): Promise<GraphRunner> {
  return load(graph, false);
}

/** Loads a packed graph: `logits` packs its sequences into one row and runs them at once. */
export function loadPackedGraph(graph: Uint8Array | string): Promise<GraphRunner> {
  return load(graph, true);
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
