import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import {
  buildEncoderGraph,
  convertModel,
  readEncoderSpec,
  writeSafetensors,
  type Tensor,
} from '../../../src/model/convert/index.js';
import { SeededRandom } from '../../../src/model/convert/seeded-random.js';
import { bertLogits, erf, type BertConfig } from './reference-bert.js';
import { loadGraph, maxAbsDiff } from './run-graph.js';

const dirs: string[] = [];
after(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

const VOCAB = 50;
const POSITIONS = 24;
const LABELS = 3;

/** A BertForSequenceClassification folder with seeded random weights, in transformers' names. */
function tinyBert(config: BertConfig, seed: number): { dir: string; tensors: Map<string, Tensor> } {
  const random = new SeededRandom(seed);
  const tensors = new Map<string, Tensor>();
  const add = (name: string, shape: number[], mean = 0) =>
    tensors.set(name, {
      shape,
      data: random.normals(
        shape.reduce((a, b) => a * b, 1),
        0.3,
        mean,
      ),
    });
  const H = config.hidden_size;
  const linear = (name: string, inF: number, outF: number) => {
    add(`${name}.weight`, [outF, inF]);
    add(`${name}.bias`, [outF]);
  };
  const norm = (name: string) => {
    add(`${name}.weight`, [H], 1);
    add(`${name}.bias`, [H]);
  };
  add('bert.embeddings.word_embeddings.weight', [VOCAB, H]);
  add('bert.embeddings.position_embeddings.weight', [POSITIONS, H]);
  add('bert.embeddings.token_type_embeddings.weight', [2, H]);
  norm('bert.embeddings.LayerNorm');
  for (let l = 0; l < config.num_hidden_layers; l++) {
    const p = `bert.encoder.layer.${l}`;
    for (const part of ['query', 'key', 'value']) linear(`${p}.attention.self.${part}`, H, H);
    linear(`${p}.attention.output.dense`, H, H);
    norm(`${p}.attention.output.LayerNorm`);
    linear(`${p}.intermediate.dense`, H, config.intermediate_size);
    linear(`${p}.output.dense`, config.intermediate_size, H);
    norm(`${p}.output.LayerNorm`);
  }
  linear('bert.pooler.dense', H, H);
  linear('classifier', H, LABELS);

  const dir = mkdtempSync(join(tmpdir(), 'tiny-bert-'));
  dirs.push(dir);
  const id2label = Object.fromEntries(
    Array.from({ length: LABELS }, (_, i) => [String(i), `LABEL_${i}`]),
  );
  const full = {
    architectures: ['BertForSequenceClassification'],
    model_type: 'bert',
    vocab_size: VOCAB,
    max_position_embeddings: POSITIONS,
    type_vocab_size: 2,
    id2label,
    ...config,
  };
  writeFileSync(join(dir, 'config.json'), JSON.stringify(full));
  writeSafetensors(join(dir, 'model.safetensors'), tensors);
  return { dir, tensors };
}

// Lengths 1…POSITIONS, so the longest sequence uses every position embedding.
const SEQUENCES = [
  [2],
  [5, 9, 13],
  [7, 1, 1, 3, 49, 0, 22],
  Array.from({ length: POSITIONS }, (_, i) => (i * 17) % VOCAB),
];

// eps 0.1 is unusual but large enough that ignoring config.layer_norm_eps would fail the test.
for (const [act, eps] of [
  ['gelu', 0.1],
  ['relu', 1e-12],
] as const) {
  test(`BERT (${act}, eps ${eps}) converts to a graph matching a Float64 reference forward pass within 1e-4`, async () => {
    const config: BertConfig = {
      hidden_size: 16,
      num_hidden_layers: 2,
      num_attention_heads: 4,
      intermediate_size: 40,
      hidden_act: act,
      layer_norm_eps: eps,
    };
    const { dir, tensors } = tinyBert(config, act === 'gelu' ? 1 : 2);
    await convertModel(dir);
    const graph = await loadGraph(readFileSync(join(dir, 'onnx', 'model.onnx')));
    const expected = SEQUENCES.map((ids) => bertLogits(config, tensors, ids));
    // The reference must actually discriminate: different inputs, visibly different logits.
    assert.ok(maxAbsDiff([expected[0]!], [expected[1]!]) > 0.05);
    const alone: number[][] = [];
    for (const ids of SEQUENCES) alone.push((await graph.logits([ids]))[0]!);
    assert.ok(
      maxAbsDiff(alone, expected) < 1e-4,
      `unpadded: max diff ${maxAbsDiff(alone, expected)}`,
    );
    const padded = await graph.logits(SEQUENCES);
    assert.ok(
      maxAbsDiff(padded, expected) < 1e-4,
      `padded batch: max diff ${maxAbsDiff(padded, expected)}`,
    );
    await graph.release();

    // The fused and int8 layouts of the same checkpoint.
    const spec = readEncoderSpec(dir);
    const fused = await loadGraph(buildEncoderGraph(spec, { fused: true }));
    assert.ok(maxAbsDiff(await fused.logits(SEQUENCES), expected) < 1e-3);
    await fused.release();
    const int8 = await loadGraph(buildEncoderGraph(spec, { int8: true, int8Embeddings: true }));
    assert.ok(maxAbsDiff(await int8.logits(SEQUENCES), expected) < 0.25);
    await int8.release();
  });
}

test('the reference erf is accurate (it anchors the GELU check)', () => {
  // Values from Abramowitz & Stegun table 7.1.
  assert.ok(Math.abs(erf(0.5) - 0.5204998778130465) < 1e-14);
  assert.ok(Math.abs(erf(-1) + 0.8427007929497149) < 1e-14);
  assert.ok(Math.abs(erf(3.5) - 0.9999992569016276) < 1e-14);
});
