import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import {
  buildEncoderGraph,
  convertModel,
  readEncoderSpec,
} from '../../../src/model/convert/index.js';
import { bertLogits, erf, type BertConfig } from './reference-bert.js';
import { loadGraph, maxAbsDiff } from './run-graph.js';
import { POSITIONS, removeTinyBerts, tinyBert, VOCAB } from './tiny-bert.js';

after(removeTinyBerts);

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
