import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import onnxProto from 'onnx-proto';
import {
  buildEncoderGraph,
  DEFAULT_INT8_GRAPH,
  generateModel,
  PRESETS,
  readEncoderSpec,
  type GraphOptions,
} from '../../../src/model/convert/index.js';
import type { EncoderSpec, Linear } from '../../../src/model/convert/encoder-spec.js';
import { DType, GraphBuilder } from '../../../src/model/convert/onnx-builder.js';
import { ModelLoadError } from '../../../src/errors.js';
import { ModelSession } from '../../../src/model/session.js';
import { pad, REPRESENTATION_OUTPUT } from '../../../src/model/token-batch.js';
import { shared, skipWithoutShared } from '../../../devkit/shared-data.js';
import { bertForward, type BertConfig } from './reference-bert.js';
import { loadGraph, loadPackedGraph, maxAbsDiff, type GraphRunner } from './run-graph.js';
import { POSITIONS, removeTinyBerts, tinyBert, VOCAB } from './tiny-bert.js';

// `cls_representation` must be the vector the classifier head reads: checked against a Float64
// forward pass (BERT), against the head itself (its logits must follow from it), across
// every graph variant, and against PyTorch's own export cut at pre_classifier's input.

const { onnx } = onnxProto;
const root = mkdtempSync(join(tmpdir(), 'representation-'));
after(() => {
  rmSync(root, { recursive: true, force: true });
  removeTinyBerts();
});

const VARIANTS: Readonly<Record<string, GraphOptions>> = {
  plain: {},
  fused: { fused: true },
  packed: { packed: true },
  int8: DEFAULT_INT8_GRAPH,
  'int8 fused': { ...DEFAULT_INT8_GRAPH, fused: true },
  'int8 packed': { ...DEFAULT_INT8_GRAPH, packed: true },
};

const load = (spec: EncoderSpec, options: GraphOptions): Promise<GraphRunner> =>
  (options.packed ? loadPackedGraph : loadGraph)(buildEncoderGraph(spec, options));

/** Representations and logits of `batch` in one forward pass. */
async function run(graph: GraphRunner, batch: readonly (readonly number[])[]) {
  const representations = await graph.representations(batch);
  assert.ok(representations, `the graph has no ${REPRESENTATION_OUTPUT} output`);
  return { representations, logits: await graph.logits(batch) };
}

/** The head applied in Float64 to representations: pooler + activation, then classifier. */
function head(spec: EncoderSpec, representations: readonly (readonly number[])[]): number[][] {
  const apply = (x: readonly number[], linear: Linear) =>
    Array.from({ length: linear.outFeatures }, (_, o) => {
      let sum = linear.bias[o]!;
      for (let i = 0; i < linear.inFeatures; i++)
        sum += x[i]! * linear.weight[o * linear.inFeatures + i]!;
      return sum;
    });
  const act = spec.pooler.activation === 'tanh' ? Math.tanh : (v: number) => Math.max(0, v);
  return representations.map((x) => apply(apply(x, spec.pooler.dense).map(act), spec.classifier));
}

const BERT: BertConfig = {
  hidden_size: 16,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  intermediate_size: 40,
  hidden_act: 'gelu',
  layer_norm_eps: 1e-12,
};
const SEQUENCES = [
  [2],
  [5, 9, 13],
  [7, 1, 1, 3, 49, 0, 22],
  Array.from({ length: POSITIONS }, (_, i) => (i * 17) % VOCAB),
];

test('tiny BERT: every graph variant outputs the [CLS] hidden state of a Float64 forward pass, the vector its logits follow from', async () => {
  const { dir, tensors } = tinyBert(BERT, 11);
  const spec = readEncoderSpec(dir);
  const reference = SEQUENCES.map((ids) => bertForward(BERT, tensors, ids).cls);
  // Sequences must differ visibly, or agreeing with the reference would prove little.
  assert.ok(maxAbsDiff([reference[0]!], [reference[1]!]) > 0.1);
  for (const [name, options] of Object.entries(VARIANTS)) {
    const graph = await load(spec, options);
    const { representations, logits } = await run(graph, SEQUENCES);
    await graph.release();
    assert.deepEqual(
      representations.map((row) => row.length),
      SEQUENCES.map(() => BERT.hidden_size),
    );
    const diff = maxAbsDiff(representations, reference);
    // int8 rounds every projection's input; its vector is near the reference's, not equal.
    assert.ok(diff < (options.int8 ? 0.1 : 1e-4), `${name}: vs the reference ${diff}`);
    // The head reads exactly this vector: fp32 logits follow from it within 1e-4.
    if (!options.int8) {
      const headDiff = maxAbsDiff(head(spec, representations), logits);
      assert.ok(headDiff < 1e-4, `${name}: head(representation) vs logits ${headDiff}`);
    }
  }
});

test('generated DistilBERT: padded, packed and alone give each sequence the same representation, and the logits follow from it', async () => {
  const dir = join(root, 'distilbert');
  await generateModel(dir, { ...PRESETS.tiny, initStd: 0.3 });
  const spec = readEncoderSpec(dir);
  const batch = [[1, 2], [1, 7, 9, 33, 2], Array.from({ length: 40 }, (_, i) => 3 + i), [1, 5, 2]];
  const plain = await load(spec, {});
  const alone: number[][] = [];
  for (const ids of batch) alone.push((await run(plain, [ids])).representations[0]!);
  assert.ok(maxAbsDiff([alone[0]!], [alone[1]!]) > 0.1, 'representations do not vary');
  for (const name of ['plain', 'packed', 'fused']) {
    const graph = name === 'plain' ? plain : await load(spec, VARIANTS[name]!);
    const { representations, logits } = await run(graph, batch);
    if (graph !== plain) await graph.release();
    const diff = maxAbsDiff(representations, alone);
    assert.ok(diff < 1e-4, `${name} batch vs each alone: ${diff}`);
    const headDiff = maxAbsDiff(head(spec, representations), logits);
    assert.ok(headDiff < 1e-4, `${name}: head(representation) vs logits ${headDiff}`);
  }
  await plain.release();
  // int8 quantises per tensor over the batch, so compare one-sequence passes: packed = padded.
  const int8 = await load(spec, VARIANTS.int8!);
  const int8Packed = await load(spec, VARIANTS['int8 packed']!);
  for (const ids of batch) {
    const padded = (await run(int8, [ids])).representations;
    const packed = (await run(int8Packed, [ids])).representations;
    assert.ok(maxAbsDiff(packed, padded) < 1e-4);
    assert.ok(maxAbsDiff(padded, [alone[batch.indexOf(ids)]!]) < 0.25);
  }
  await int8.release();
  await int8Packed.release();
});

test('representation: false leaves the output out; the session then returns logits alone', async () => {
  const { dir } = tinyBert(BERT, 12);
  const spec = readEncoderSpec(dir);
  const without = await ModelSession.load(buildEncoderGraph(spec, { representation: false }), {
    intraOpThreads: 1,
  });
  assert.equal(without.representation, false);
  const output = await without.run(pad([{ ids: SEQUENCES[1]! }]).batch);
  assert.equal(output.representation, undefined);
  assert.equal(output.logits.length, 3);
  await without.release();
  // A graph that has the output, with the session told not to fetch it.
  const skipped = await ModelSession.load(buildEncoderGraph(spec), {
    intraOpThreads: 1,
    representation: false,
  });
  assert.equal(skipped.representation, false);
  assert.equal((await skipped.run(pad([{ ids: [2] }]).batch)).representation, undefined);
  await skipped.release();
});

test(`an output named ${REPRESENTATION_OUTPUT} that is not float32 [batch, hidden] is refused at load`, async () => {
  const g = new GraphBuilder();
  const ids = g.input('input_ids', DType.int64, ['batch_size', 'sequence_length']);
  g.input('attention_mask', DType.int64, ['batch_size', 'sequence_length']);
  g.node('Cast', [ids], { to: DType.float }, { output: 'logits' });
  g.output('logits', DType.float, ['batch_size', 'sequence_length']);
  g.node('Identity', [ids], {}, { output: REPRESENTATION_OUTPUT });
  g.output(REPRESENTATION_OUTPUT, DType.int64, ['batch_size', 'sequence_length']);
  await assert.rejects(
    ModelSession.load(g.encode('bad', 17), { intraOpThreads: 1 }),
    (error: Error) =>
      error instanceof ModelLoadError &&
      /'cls_representation' that is int64 of rank 2, not float32 \[batch, hidden\]/.test(
        error.message,
      ),
  );
});

const skip = skipWithoutShared('models', 'sst2-tiny-distilbert', 'onnx', 'model.onnx');

/**
 * PyTorch's export of the shared model (Optimum's way) with one more graph output: the input
 * of its pre_classifier Gemm, as `cls_representation`. An independent path to the same vector.
 */
function exportCutAtPreClassifier(path: string): Uint8Array {
  const model = onnx.ModelProto.decode(readFileSync(path));
  const graph = model.graph!;
  const gemm = graph.node!.find((node) => node.input?.includes('pre_classifier.weight'));
  assert.ok(gemm, 'the export has no node reading pre_classifier.weight');
  graph.node!.push({
    opType: 'Identity',
    name: 'cut',
    input: [gemm.input![0]!],
    output: [REPRESENTATION_OUTPUT],
  });
  graph.output!.push({
    name: REPRESENTATION_OUTPUT,
    type: {
      tensorType: { elemType: DType.float, shape: { dim: [{ dimParam: 'b' }, { dimValue: 128 }] } },
    },
  });
  return onnx.ModelProto.encode(model).finish();
}

test(
  "sst2-tiny-distilbert: the converted graphs' representation equals PyTorch's export cut at pre_classifier's input",
  { skip },
  async () => {
    const model = (...parts: string[]) => shared('models', 'sst2-tiny-distilbert', ...parts);
    const rows = readFileSync(model('golden.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => (JSON.parse(line) as { input_ids: number[] }).input_ids);
    const reference = await loadGraph(exportCutAtPreClassifier(model('onnx', 'model.onnx')));
    const expected: number[][] = [];
    for (const ids of rows) expected.push((await run(reference, [ids])).representations[0]!);
    await reference.release();

    // readEncoderSpec wants config.json and model.safetensors in one folder; read in place.
    const spec = readEncoderSpec(model());
    for (const name of ['plain', 'packed', 'int8']) {
      const graph = await load(spec, VARIANTS[name]!);
      const got: number[][] = [];
      // Batches of 8 in file order: the 512-token row beside short ones.
      for (let i = 0; i < rows.length; i += 8)
        got.push(...(await run(graph, rows.slice(i, i + 8))).representations);
      await graph.release();
      const diff = maxAbsDiff(got, expected);
      assert.ok(diff < (name === 'int8' ? 0.1 : 1e-4), `${name} vs the export: ${diff}`);
    }
  },
);
