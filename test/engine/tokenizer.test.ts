import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { BUNDLED_MODEL_DIR } from '../../src/config.js';
import { ModelTokenizer } from '../../src/engine/tokenizer.js';
import { resolveModelFiles } from '../../src/model/model-files.js';
import { shared, skipWithoutShared } from '../../devkit/shared-data.js';

const bundled = ModelTokenizer.fromModelFiles(resolveModelFiles(BUNDLED_MODEL_DIR, 'fp32'), 512);

/** The same model folder with tokenizer.json removed: the tokenizer is built from vocab.txt. */
function vocabOnlyTokenizer(): ModelTokenizer {
  const dir = mkdtempSync(join(tmpdir(), 'vocab-only-'));
  for (const name of ['config.json', 'vocab.txt', 'tokenizer_config.json'])
    copyFileSync(join(BUNDLED_MODEL_DIR, name), join(dir, name));
  writeFileSync(join(dir, 'onnx-placeholder'), '');
  const files = {
    ...resolveModelFiles(BUNDLED_MODEL_DIR, 'fp32'),
    dir,
    tokenizerJsonPath: undefined,
    vocabPath: join(dir, 'vocab.txt'),
    tokenizerConfigPath: join(dir, 'tokenizer_config.json'),
  };
  try {
    return ModelTokenizer.fromModelFiles(files, 512);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
const fromVocab = vocabOnlyTokenizer();

const SQUAD =
  'data/distilbert-base-uncased/fixtures/squad_dev_v1.1_questions_bert_uncased_ids.jsonl';
const CASES = 'data/distilbert-base-uncased/fixtures/transformersjs_tokenization_cases.json';

test(
  "token ids equal Hugging Face's on all 10,570 SQuAD questions (tokenizer.json and vocab.txt)",
  { skip: skipWithoutShared(SQUAD) },
  () => {
    const rows = readFileSync(shared(SQUAD), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { text: string; ids: number[] });
    assert.equal(rows.length, 10_570);
    for (const { text, ids } of rows) {
      const expected = [101, ...ids, 102];
      assert.deepEqual(bundled.encode(text), expected, text);
      assert.deepEqual(fromVocab.encode(text), expected, `vocab.txt: ${text}`);
    }
  },
);

test(
  "token ids equal transformers.js's on its 42 edge cases (single texts)",
  { skip: skipWithoutShared(CASES) },
  () => {
    const { cases } = JSON.parse(readFileSync(shared(CASES), 'utf8')) as {
      cases: Record<string, { name: string; text: string; text_pair?: string; ids: number[] }[]>;
    };
    let checked = 0;
    for (const list of Object.values(cases)) {
      for (const c of list) {
        if (c.text_pair !== undefined) continue; // a text pair: the service classifies single texts
        assert.deepEqual(bundled.encode(c.text), c.ids, c.name);
        assert.deepEqual(fromVocab.encode(c.text), c.ids, `vocab.txt: ${c.name}`);
        checked++;
      }
    }
    assert.ok(checked >= 41, `checked ${checked} cases`);
  },
);

test(
  'golden token ids of the bundled model match exactly',
  { skip: skipWithoutShared('models/sst2-tiny-distilbert/golden.jsonl') },
  () => {
    const golden = readFileSync(shared('models/sst2-tiny-distilbert/golden.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { text: string; input_ids: number[] });
    for (const g of golden) assert.deepEqual(bundled.encode(g.text), g.input_ids, g.text);
  },
);

test('a text longer than the model takes is cut to 512 tokens with the final [SEP] kept', () => {
  const text = Array.from({ length: 700 }, (_, i) => `word${i}`).join(' ');
  const ids = bundled.encode(text);
  assert.equal(ids.length, 512);
  assert.equal(ids[0], 101);
  assert.equal(ids[511], 102);
  const untruncated = bundled.encode(text.split(' ').slice(0, 200).join(' '));
  assert.deepEqual(ids.slice(0, 100), untruncated.slice(0, 100));
});

test('the empty text is [CLS] [SEP]', () => {
  assert.deepEqual(bundled.encode(''), [101, 102]);
});
