import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { convertModel, generateModel, PRESETS } from '../../../src/model/convert/index.js';
import { DType, GraphBuilder } from '../../../src/model/convert/onnx-builder.js';
import { ModelLoadError } from '../../../src/errors.js';
import { ONNX_FILES, PACKED_ONNX_FILES } from '../../../src/model/model-files.js';
import { ModelSession } from '../../../src/model/session.js';
import { shared, skipWithoutShared } from '../../../devkit/shared-data.js';
import { loadGraph, loadPackedGraph, maxAbsDiff } from './run-graph.js';
import { POSITIONS, removeTinyBerts, tinyBert, VOCAB } from './tiny-bert.js';

// The packed graph must give each sequence exactly the logits it gets alone: any leak across
// the block-diagonal mask, a position that does not restart, or a wrong [CLS] row moves them.

const root = mkdtempSync(join(tmpdir(), 'packed-'));
after(() => {
  rmSync(root, { recursive: true, force: true });
  removeTinyBerts();
});

/** Packs of mixed lengths: [CLS][SEP] alone, the longest the model takes, and between. */
function packs(vocab: number, positions: number): number[][][] {
  const sequence = (length: number, seed: number) =>
    Array.from({ length }, (_, i) =>
      i === 0 ? 1 : i === length - 1 ? 2 : 3 + ((i * 7 + seed * 13) % (vocab - 3)),
    );
  return [
    [sequence(2, 0), sequence(7, 1), sequence(positions, 2), sequence(3, 3), sequence(11, 4)],
    [sequence(positions, 5)],
    [sequence(2, 6), sequence(2, 7)],
    [sequence(5, 8), sequence(Math.floor(positions / 2), 9), sequence(2, 10)],
  ];
}

/** Logits of each sequence alone, of each pack as a padded batch, and of each pack packed. */
async function runAll(
  dir: string,
  dtype: 'fp32' | 'int8',
  batches: readonly (readonly number[])[][],
): Promise<{ alone: number[][]; padded: number[][]; packed: number[][] }> {
  const normal = await loadGraph(join(dir, ONNX_FILES[dtype]));
  const packedGraph = await loadPackedGraph(join(dir, PACKED_ONNX_FILES[dtype]));
  const result = { alone: [] as number[][], padded: [] as number[][], packed: [] as number[][] };
  for (const batch of batches) {
    for (const ids of batch) result.alone.push((await normal.logits([ids]))[0]!);
    result.padded.push(...(await normal.logits(batch)));
    result.packed.push(...(await packedGraph.logits(batch)));
  }
  await normal.release();
  await packedGraph.release();
  return result;
}

const argmax = (row: readonly number[]) => row.indexOf(Math.max(...row));

async function checkFolder(dir: string, batches: number[][][]): Promise<void> {
  const fp32 = await runAll(dir, 'fp32', batches);
  // The model must discriminate, or equal logits would prove nothing.
  assert.ok(maxAbsDiff([fp32.alone[0]!], [fp32.alone[2]!]) > 1e-2, 'logits do not vary');
  const fp32Diff = maxAbsDiff(fp32.packed, fp32.alone);
  assert.ok(fp32Diff < 1e-4, `fp32 packed vs alone: max diff ${fp32Diff}`);

  // int8 quantises activations with one scale per tensor, computed at run time over the whole
  // batch, so a sequence's int8 logits depend on its batch-mates whether padded or packed.
  // A pack of one sequence sees the same tensor as that sequence alone: equal logits.
  const single = await runAll(
    dir,
    'int8',
    batches.flat().map((ids) => [ids]),
  );
  const singleDiff = maxAbsDiff(single.packed, single.alone);
  assert.ok(singleDiff < 1e-4, `int8 one-sequence packs vs alone: max diff ${singleDiff}`);
  // With batch-mates, packing moves int8 logits no more than padded batching already does
  // (the ×2 leaves room for a different rounding draw), and flips no label.
  const int8 = await runAll(dir, 'int8', batches);
  const packedDiff = maxAbsDiff(int8.packed, int8.alone);
  const paddedDiff = maxAbsDiff(int8.padded, int8.alone);
  assert.ok(
    packedDiff <= Math.max(2 * paddedDiff, 1e-4),
    `int8 packed vs alone ${packedDiff}, padded vs alone ${paddedDiff}`,
  );
  const flips = int8.packed.filter((row, i) => argmax(row) !== argmax(int8.alone[i]!)).length;
  assert.equal(flips, 0, `int8 packing flipped ${flips} labels`);
}

test('convertModel writes the packed graphs beside the padded ones', async () => {
  const { dir } = tinyBert(
    {
      hidden_size: 16,
      num_hidden_layers: 1,
      num_attention_heads: 2,
      intermediate_size: 32,
      hidden_act: 'relu',
      layer_norm_eps: 1e-12,
    },
    7,
  );
  assert.deepEqual((await convertModel(dir)).written, [ONNX_FILES.fp32, PACKED_ONNX_FILES.fp32]);
  assert.deepEqual((await convertModel(dir, { quantize: 'int8' })).written, [
    ONNX_FILES.fp32,
    PACKED_ONNX_FILES.fp32,
    ONNX_FILES.int8,
    PACKED_ONNX_FILES.int8,
  ]);
});

test('generated tiny DistilBERT: packed logits equal each sequence alone (fp32 within 1e-4; int8 as padding)', async () => {
  const dir = join(root, 'distilbert');
  await generateModel(dir, { ...PRESETS.tiny, quantize: 'int8', initStd: 0.3 });
  await checkFolder(dir, packs(PRESETS.tiny.vocab, PRESETS.tiny.positions));
});

test('tiny BERT: packed logits equal each sequence alone (fp32 within 1e-4; int8 as padding)', async () => {
  const { dir } = tinyBert(
    {
      hidden_size: 16,
      num_hidden_layers: 2,
      num_attention_heads: 4,
      intermediate_size: 40,
      hidden_act: 'gelu',
      layer_norm_eps: 1e-12,
    },
    3,
  );
  await convertModel(dir, { quantize: 'int8' });
  await checkFolder(dir, packs(VOCAB, POSITIONS));
});

const skip = skipWithoutShared('models', 'sst2-tiny-distilbert', 'golden.jsonl');

test(
  'sst2-tiny-distilbert: packed golden rows equal each alone (fp32 within 1e-4; int8 as padding)',
  { skip },
  async () => {
    const model = (...parts: string[]) => shared('models', 'sst2-tiny-distilbert', ...parts);
    const dir = join(root, 'sst2');
    mkdirSync(dir);
    for (const file of ['config.json', 'model.safetensors'])
      copyFileSync(model(file), join(dir, file));
    await convertModel(dir, { quantize: 'int8' });
    const rows = readFileSync(model('golden.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => (JSON.parse(line) as { input_ids: number[] }).input_ids);
    // Packs of 8 in file order (the 512-token row among short ones), and [CLS][SEP].
    const batches: number[][][] = [[[101, 102], ...rows.slice(0, 3)]];
    for (let i = 0; i < rows.length; i += 8) batches.push(rows.slice(i, i + 8));
    await checkFolder(dir, batches);
  },
);

test('a packed graph of another signature (the first one-row converter) is refused with what to do', async () => {
  const g = new GraphBuilder();
  const ids = g.input('input_ids', DType.int64, [1, 'total_tokens']);
  for (const name of ['position_ids', 'segment_ids'])
    g.input(name, DType.int64, [1, 'total_tokens']);
  g.input('cls_index', DType.int64, ['num_sequences']);
  g.node('Cast', [ids], { to: DType.float }, { output: 'logits' });
  g.output('logits', DType.float, [1, 'total_tokens']);
  await assert.rejects(
    ModelSession.load(g.encode('old', 17), { intraOpThreads: 1 }),
    (error: Error) =>
      error instanceof ModelLoadError &&
      /no input 'long_attention_mask'.*another sentiment-api converter version.*convert the model again/.test(
        error.message,
      ),
  );
});
