import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ModelLoadError } from '../../../src/errors.js';
import {
  convertModel,
  generateModel,
  PRESETS,
  readSafetensors,
  writeSafetensors,
} from '../../../src/model/convert/index.js';

let dir: string;
let config: Record<string, unknown>;
const weightsPath = () => join(dir, 'model.safetensors');

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'convert-errors-'));
  await generateModel(dir, PRESETS.tiny);
  config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `convertModel` on the tiny model with one edit to its config or tensors, then restores them. */
async function convertWith(edit: {
  config?: Record<string, unknown>;
  drop?: string;
  reshape?: string;
}): Promise<unknown> {
  const original = readFileSync(weightsPath());
  try {
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...config, ...edit.config }));
    const tensors = readSafetensors(weightsPath());
    if (edit.drop) tensors.delete(edit.drop);
    if (edit.reshape) tensors.set(edit.reshape, { shape: [1, 1], data: new Float32Array(1) });
    writeSafetensors(weightsPath(), tensors);
    await convertModel(dir);
    return undefined;
  } catch (error) {
    return error;
  } finally {
    writeFileSync(weightsPath(), original);
    writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  }
}

test('a missing tensor is a ModelLoadError naming the tensor', async () => {
  const error = await convertWith({ drop: 'distilbert.transformer.layer.1.ffn.lin2.weight' });
  assert.ok(error instanceof ModelLoadError);
  assert.match(
    error.message,
    /model\.safetensors has no tensor distilbert\.transformer\.layer\.1\.ffn\.lin2\.weight$/,
  );
});

test('a tensor of the wrong shape names the tensor, its shape and the expected one', async () => {
  const error = await convertWith({ reshape: 'pre_classifier.weight' });
  assert.ok(error instanceof ModelLoadError);
  assert.match(
    error.message,
    /tensor pre_classifier\.weight has shape \[1,1\], expected \[32,32\]/,
  );
});

test('an unsupported architecture names it and the supported ones', async () => {
  const error = await convertWith({
    config: { architectures: ['RobertaForSequenceClassification'], model_type: 'roberta' },
  });
  assert.ok(error instanceof ModelLoadError);
  assert.match(
    error.message,
    /\["RobertaForSequenceClassification"\].*supports DistilBertForSequenceClassification, BertForSequenceClassification/,
  );
});

test('a missing config key or an activation we cannot emit exactly is named', async () => {
  const withoutHeads = { ...config };
  delete withoutHeads.n_heads;
  writeFileSync(join(dir, 'config.json'), JSON.stringify(withoutHeads));
  await assert.rejects(
    convertModel(dir),
    /config\.json key n_heads must be a positive integer, got undefined/,
  );
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  const error = await convertWith({ config: { activation: 'gelu_new' } });
  assert.match(String(error), /activation "gelu_new" is not supported/);
});

test('a failed conversion leaves the previous graph in place (atomic write)', async () => {
  const before = readFileSync(join(dir, 'onnx', 'model.onnx'));
  await convertWith({ drop: 'classifier.bias' });
  assert.deepEqual(readFileSync(join(dir, 'onnx', 'model.onnx')), before);
});

test('a folder without config.json or model.safetensors says which file is missing', async () => {
  const empty = mkdtempSync(join(tmpdir(), 'convert-empty-'));
  try {
    await assert.rejects(convertModel(empty), /has no config\.json/);
    writeFileSync(join(empty, 'config.json'), JSON.stringify(config));
    writeFileSync(join(empty, 'pytorch_model.bin'), '');
    await assert.rejects(
      convertModel(empty),
      /has no model\.safetensors \(pytorch_model\.bin is a pickle/,
    );
  } finally {
    rmSync(empty, { recursive: true, force: true });
  }
});
