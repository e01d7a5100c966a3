import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Batcher } from '../../src/engine/batcher.js';
import { InferencePool, type PoolOptions } from '../../src/engine/inference-pool.js';
import {
  buildEncoderGraph,
  generateModel,
  PRESETS,
  readEncoderSpec,
} from '../../src/model/convert/index.js';
import { ONNX_FILES, PACKED_ONNX_FILES } from '../../src/model/model-files.js';
import { ModelSession } from '../../src/model/session.js';
import { assembleBatch, type InferenceRow } from '../../src/model/token-batch.js';
import { build } from '../helper.js';

// What a batch returns per text, through the real piscina workers: each row carries its
// logits and, when the graph has the output, its [CLS] representation, both as views of the
// buffers the worker moved back (no copy per row); a graph without the output serves as before.

const root = mkdtempSync(join(tmpdir(), 'inference-rows-'));
const model = join(root, 'model');
const withoutOutput = join(root, 'without-output');
after(() => rmSync(root, { recursive: true, force: true }));

const SEQUENCES = [
  [1, 2],
  [1, 9, 33, 40, 2],
  Array.from({ length: 30 }, (_, i) => 3 + i),
  [1, 5, 2],
];

before(async () => {
  await generateModel(model, { ...PRESETS.tiny, initStd: 0.3 });
  // The same model as a Hugging Face export would have it: no cls_representation output.
  await generateModel(withoutOutput, { ...PRESETS.tiny, initStd: 0.3 });
  const graph = buildEncoderGraph(readEncoderSpec(withoutOutput), { representation: false });
  writeFileSync(join(withoutOutput, ONNX_FILES.fp32), graph);
  unlinkSync(join(withoutOutput, PACKED_ONNX_FILES.fp32));
});

/** Each sequence run alone on a session in this thread: the reference for the pool's rows. */
async function alone(path: string): Promise<{ logits: number[]; representation?: number[] }[]> {
  const session = await ModelSession.load(path, { intraOpThreads: 1 });
  const rows = [];
  for (const ids of SEQUENCES) {
    const output = await session.run(assembleBatch(session.kind, [{ ids }]).batch);
    rows.push({
      logits: [...output.logits],
      ...(output.representation ? { representation: [...output.representation] } : {}),
    });
  }
  await session.release();
  return rows;
}

/** Starts a pool, sends SEQUENCES as one batch through a batcher, returns the rows. */
async function throughPool(options: Omit<PoolOptions, 'workers' | 'intraOpThreads'>) {
  const pool = await InferencePool.start({ ...options, workers: 1, intraOpThreads: 1 });
  try {
    const batcher = new Batcher(pool, {
      maxItems: 8,
      maxTokens: 1024,
      maxDelayMs: 0,
      maxQueued: 100,
      maxPadding: 1,
      graph: pool.graph,
    });
    // Held back until all four are queued, so they share one forward pass.
    const reservation = batcher.reserve(SEQUENCES.length);
    const rows = await Promise.all(reservation.submit(SEQUENCES));
    return { pool, rows };
  } finally {
    await pool.close();
  }
}

const near = (a: ArrayLike<number>, b: readonly number[], within: number) =>
  a.length === b.length && Array.from(a).every((x, i) => Math.abs(x - b[i]!) < within);

/** Every row a view into the same buffer as the first row's. */
const oneBuffer = (rows: readonly InferenceRow[], field: 'logits' | 'representation') =>
  rows.every((row) => row[field]!.buffer === rows[0]![field]!.buffer);

describe('inference rows through the worker pool', () => {
  for (const [kind, file] of [
    ['padded', ONNX_FILES.fp32],
    ['packed', PACKED_ONNX_FILES.fp32],
  ] as const) {
    test(`${kind} graph: each row carries its logits and its representation, as computed alone`, async () => {
      const path = join(model, file);
      const expected = await alone(path);
      const { pool, rows } = await throughPool({ onnxPath: path });
      assert.equal(pool.graph, kind);
      assert.equal(pool.representation, true);
      rows.forEach((row, i) => {
        assert.ok(near(row.logits, expected[i]!.logits, 1e-4), `row ${i} logits`);
        assert.equal(row.representation?.length, PRESETS.tiny.dim);
        assert.ok(near(row.representation!, expected[i]!.representation!, 1e-4), `row ${i}`);
      });
      // Rows differ, so a row cannot have been handed another's vector unnoticed.
      assert.ok(!near(rows[0]!.representation!, expected[1]!.representation!, 1e-2));
      // One batch, one buffer per output, moved back from the worker: rows are views of it.
      assert.ok(oneBuffer(rows, 'logits') && oneBuffer(rows, 'representation'));
    });
  }

  test('a pool told not to return representations leaves them out', async () => {
    const { pool, rows } = await throughPool({
      onnxPath: join(model, ONNX_FILES.fp32),
      representation: false,
    });
    assert.equal(pool.representation, false);
    assert.ok(rows.every((row) => row.representation === undefined && row.logits.length === 2));
  });

  test('a graph without the output: rows carry logits only, the same as with it', async () => {
    const expected = await alone(join(model, ONNX_FILES.fp32));
    const { pool, rows } = await throughPool({ onnxPath: join(withoutOutput, ONNX_FILES.fp32) });
    assert.equal(pool.representation, false);
    rows.forEach((row, i) => {
      assert.equal(row.representation, undefined);
      assert.ok(near(row.logits, expected[i]!.logits, 1e-4), `row ${i} logits`);
    });
  });

  test('a graph without the output still serves /predict', async (ctx) => {
    const t = await build(ctx, { MODEL_DIR: withoutOutput, CACHE_MEMORY_BYTES: '0' });
    const response = await t.app.inject({
      method: 'POST',
      url: '/predict',
      payload: { text: ['a text', 'another, longer text'] },
    });
    assert.equal(response.statusCode, 200, response.body);
    const { predictions } = response.json() as { predictions: { score: number }[][] };
    assert.equal(predictions.length, 2);
    for (const scores of predictions) {
      assert.ok(Math.abs(scores[0]!.score + scores[1]!.score - 1) < 1e-9);
    }
  });
});
