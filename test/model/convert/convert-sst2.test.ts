import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { convertModel } from '../../../src/model/convert/index.js';
import { shared, skipWithoutShared } from '../../../devkit/shared-data.js';
import { loadGraph, maxAbsDiff, type GraphRunner } from './run-graph.js';

// The proof that the converter is right: the shared small real model, converted from its
// safetensors, reproduces transformers' own logits (golden.jsonl) and the reference export.
const skip = skipWithoutShared('models', 'sst2-tiny-distilbert', 'golden.jsonl');
const model = (...parts: string[]) => shared('models', 'sst2-tiny-distilbert', ...parts);

interface Golden {
  input_ids: number[];
  logits: number[];
  probs: number[];
}

let dir: string;
let golden: Golden[];
const graphs = new Map<string, GraphRunner>();

before(async () => {
  if (skip) return;
  dir = mkdtempSync(join(tmpdir(), 'convert-sst2-'));
  copyFileSync(model('config.json'), join(dir, 'config.json'));
  copyFileSync(model('model.safetensors'), join(dir, 'model.safetensors'));
  golden = readFileSync(model('golden.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Golden);
  const plain = await convertModel(dir, { quantize: 'int8', optimize: false });
  assert.deepEqual(plain.written, [
    'onnx/model.onnx',
    'onnx/model_packed.onnx',
    'onnx/model_quantized.onnx',
    'onnx/model_quantized_packed.onnx',
  ]);
  graphs.set('plain', await loadGraph(join(dir, 'onnx', 'model.onnx')));
  graphs.set('int8', await loadGraph(join(dir, 'onnx', 'model_quantized.onnx')));
  await convertModel(dir, { optimize: true });
  graphs.set('fused', await loadGraph(join(dir, 'onnx', 'model.onnx')));
  graphs.set('shipped', await loadGraph(model('onnx', 'model.onnx')));
});

after(async () => {
  for (const graph of graphs.values()) await graph.release();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function unpadded(name: string): Promise<number[][]> {
  const graph = graphs.get(name)!;
  const rows: number[][] = [];
  for (const row of golden) rows.push((await graph.logits([row.input_ids]))[0]!);
  return rows;
}

test('golden.jsonl holds the 31 reference rows', { skip }, () => {
  assert.equal(golden.length, 31);
});

for (const name of ['plain', 'fused']) {
  test(
    `${name} fp32 graph matches transformers' logits and probabilities within 1e-4`,
    { skip },
    async () => {
      const logits = await unpadded(name);
      assert.ok(
        maxAbsDiff(
          logits,
          golden.map((g) => g.logits),
        ) < 1e-4,
        `max diff ${maxAbsDiff(
          logits,
          golden.map((g) => g.logits),
        )}`,
      );
      const probs = logits.map((row) => {
        const exp = row.map((x) => Math.exp(x - Math.max(...row)));
        return exp.map((e) => e / exp.reduce((a, b) => a + b));
      });
      assert.ok(
        maxAbsDiff(
          probs,
          golden.map((g) => g.probs),
        ) < 1e-4,
      );
    },
  );

  test(
    `${name} fp32 graph matches the shipped reference export within 1e-4`,
    { skip },
    async () => {
      assert.ok(maxAbsDiff(await unpadded(name), await unpadded('shipped')) < 1e-4);
    },
  );

  test(
    `${name} fp32 graph: right padding in a batch moves no logit by more than 1e-5`,
    { skip },
    async () => {
      const alone = await unpadded(name);
      // Batches of mixed lengths, including the 512-token edge case beside short texts.
      const batched: number[][] = [];
      for (let i = 0; i < golden.length; i += 8) {
        batched.push(
          ...(await graphs.get(name)!.logits(golden.slice(i, i + 8).map((g) => g.input_ids))),
        );
      }
      assert.ok(maxAbsDiff(batched, alone) < 1e-5, `max diff ${maxAbsDiff(batched, alone)}`);
    },
  );
}

test(
  'int8 graph stays close to fp32 and predicts the same labels on the golden rows',
  { skip },
  async () => {
    const int8 = await unpadded('int8');
    assert.ok(
      maxAbsDiff(
        int8,
        golden.map((g) => g.logits),
      ) < 0.1,
    );
    const argmax = (row: readonly number[]) => row.indexOf(Math.max(...row));
    const flips = int8.filter((row, i) => argmax(row) !== argmax(golden[i]!.logits)).length;
    assert.ok(flips <= 1, `${flips} label flips`);
  },
);
