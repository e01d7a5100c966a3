import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Tokenizer } from '@huggingface/tokenizers';
import {
  buildEncoderGraph,
  generateModel,
  PRESETS,
  readEncoderSpec,
  readSafetensors,
} from '../../../src/model/convert/index.js';
import { loadGraph, maxAbsDiff } from './run-graph.js';

const root = mkdtempSync(join(tmpdir(), 'generate-'));
const dir = join(root, 'tiny');
let written: string[];

before(async () => {
  // A larger init scale than transformers' 0.02 so the random model's logits depend visibly on
  // its input, which the padding and layout checks below need.
  ({ written } = await generateModel(dir, { ...PRESETS.tiny, quantize: 'int8', initStd: 0.3 }));
});
after(() => rmSync(root, { recursive: true, force: true }));

const sentences = ['good movie', 'a really bad , boring film !', 'i love it', 'the worst story'];

function tokenizer(folder: string): Tokenizer {
  const json = JSON.parse(readFileSync(join(folder, 'tokenizer.json'), 'utf8')) as object;
  const config = JSON.parse(readFileSync(join(folder, 'tokenizer_config.json'), 'utf8')) as object;
  return new Tokenizer(json, config);
}

test('generateModel writes a complete model folder, graphs included', () => {
  const expected = [
    'config.json',
    'model.safetensors',
    'vocab.txt',
    'tokenizer.json',
    'special_tokens_map.json',
    'tokenizer_config.json',
    'onnx/model.onnx',
    'onnx/model_quantized.onnx',
    'onnx/model_packed.onnx',
    'onnx/model_quantized_packed.onnx',
  ];
  assert.deepEqual([...written].sort(), [...expected].sort());
  for (const file of expected) assert.ok(existsSync(join(dir, file)), file);
  const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<
    string,
    unknown
  >;
  assert.deepEqual(
    [config.dim, config.n_layers, config.n_heads, config.hidden_dim, config.vocab_size],
    [32, 2, 2, 64, 256],
  );
});

test('the same seed gives byte-identical weights; another seed different ones', async () => {
  const again = join(root, 'again');
  const other = join(root, 'other');
  await generateModel(again, { ...PRESETS.tiny, initStd: 0.3 });
  await generateModel(other, { ...PRESETS.tiny, initStd: 0.3, seed: 7 });
  assert.deepEqual(
    readFileSync(join(again, 'model.safetensors')),
    readFileSync(join(dir, 'model.safetensors')),
  );
  assert.notDeepEqual(
    readFileSync(join(other, 'model.safetensors')),
    readFileSync(join(dir, 'model.safetensors')),
  );
});

test('the synthetic tokenizer wraps text in [CLS] … [SEP] and knows its words', () => {
  const vocab = readFileSync(join(dir, 'vocab.txt'), 'utf8').trim().split('\n');
  assert.equal(vocab.length, 256);
  const ids = tokenizer(dir).encode('Good movie!').ids;
  assert.deepEqual(
    ids.map((id: number) => vocab[id]),
    ['[CLS]', 'good', 'movie', '!', '[SEP]'],
  );
  // A word outside the vocabulary falls back to WordPiece characters, never [UNK].
  assert.deepEqual(
    tokenizer(dir)
      .encode('zq')
      .ids.map((id: number) => vocab[id]),
    ['[CLS]', 'z', '##q', '[SEP]'],
  );
});

test('the generated graph runs, depends on its input, and padding does not change it', async () => {
  const ids = sentences.map((s) => tokenizer(dir).encode(s).ids);
  const graph = await loadGraph(join(dir, 'onnx', 'model.onnx'));
  const alone: number[][] = [];
  for (const row of ids) alone.push((await graph.logits([row]))[0]!);
  assert.ok(maxAbsDiff([alone[0]!], [alone[1]!]) > 1e-3, 'logits do not depend on the input');
  assert.ok(maxAbsDiff(await graph.logits(ids), alone) < 1e-5);
  await graph.release();
});

test('fused layout within 1e-3 of plain; int8 graph close to plain', async () => {
  const ids = sentences.map((s) => tokenizer(dir).encode(s).ids);
  const plain = await loadGraph(join(dir, 'onnx', 'model.onnx'));
  const expected = await plain.logits(ids);
  await plain.release();
  const fused = await loadGraph(buildEncoderGraph(readEncoderSpec(dir), { fused: true }));
  const fusedDiff = maxAbsDiff(await fused.logits(ids), expected);
  assert.ok(fusedDiff < 1e-3, `fused max diff ${fusedDiff}`);
  await fused.release();
  const int8 = await loadGraph(join(dir, 'onnx', 'model_quantized.onnx'));
  const diff = maxAbsDiff(await int8.logits(ids), expected);
  const scale = Math.max(...expected.flat().map(Math.abs));
  assert.ok(diff < 0.05 * scale, `int8 max diff ${diff} on logits up to ${scale}`);
  await int8.release();
});

test('a 30522-token vocabulary reuses the bundled bert-base-uncased tokenizer', async () => {
  const bert = join(root, 'bert-vocab');
  await generateModel(bert, { ...PRESETS.tiny, vocab: 30522 });
  assert.deepEqual(
    readFileSync(join(bert, 'vocab.txt')),
    readFileSync(join('models', 'sst2-tiny-distilbert', 'vocab.txt')),
  );
  assert.equal(
    readSafetensors(join(bert, 'model.safetensors')).get(
      'distilbert.embeddings.word_embeddings.weight',
    )!.shape[0],
    30522,
  );
  assert.deepEqual(tokenizer(bert).encode('hello').ids, [101, 7592, 102]);
});
