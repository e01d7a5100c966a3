import assert from 'node:assert/strict';
import { lstatSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { generateModel, PRESETS } from '../../src/model/convert/index.js';
import { MockHub, type RepoFiles } from '../fixtures/mock-hub.js';
import { exited, freePort, startService, waitUntilUp } from '../../devkit/child-service.js';
import { shared, skipWithoutShared } from '../../devkit/shared-data.js';

const REPO_FILES = [
  'config.json',
  'model.safetensors',
  'tokenizer.json',
  'tokenizer_config.json',
  'vocab.txt',
  'special_tokens_map.json',
];

/** The files of a safetensors-only Hub repo (what winegarj/… offers), read from a folder. */
function repoFrom(dir: string): RepoFiles {
  const files: RepoFiles = {};
  for (const name of REPO_FILES) {
    if (readdirSync(dir).includes(name)) files[name] = readFileSync(join(dir, name));
  }
  return files;
}

type Predictions = { predictions: { label: string; score: number }[][] };

/** Starts the service on MODEL_ID, asks it to classify `texts`, stops it; returns what it said. */
async function serveFromHub(
  env: Record<string, string>,
  texts: string[],
): Promise<{ body: Predictions; log: string }> {
  const port = await freePort();
  const child = startService({ PORT: String(port), ...env });
  try {
    await waitUntilUp(`http://127.0.0.1:${port}/health`, 60_000).catch((error: Error) => {
      throw new Error(`${error.message}\n${child.output()}`);
    });
    const res = await fetch(`http://127.0.0.1:${port}/predict`, {
      method: 'POST',
      body: JSON.stringify({ text: texts }),
    });
    assert.equal(res.status, 200);
    return { body: (await res.json()) as Predictions, log: child.output() };
  } finally {
    child.kill('SIGTERM');
    await exited(child);
  }
}

describe(
  'MODEL_ID: pull from a Hub, convert safetensors to ONNX, serve',
  { timeout: 300_000 },
  () => {
    let hub: MockHub;
    let cache: string;
    before(async () => {
      hub = await MockHub.start();
      cache = mkdtempSync(join(tmpdir(), 'model-cache-'));
    });
    after(async () => {
      await hub.close();
      rmSync(cache, { recursive: true, force: true });
    });

    test('a generated safetensors-only repo is pulled, converted on first start, then served offline', async (t) => {
      const source = mkdtempSync(join(tmpdir(), 'generated-'));
      t.after(() => rmSync(source, { recursive: true, force: true }));
      await generateModel(source, PRESETS.tiny);
      const commit = hub.addCommit('test-org/tiny-distilbert', repoFrom(source));
      const env = {
        MODEL_ID: 'test-org/tiny-distilbert',
        HF_ENDPOINT: hub.url,
        MODEL_CACHE: cache,
      };
      const first = await serveFromHub(env, ['good', 'bad']);
      assert.equal(first.body.predictions.length, 2);
      assert.deepEqual(
        first.body.predictions[0]?.map((p) => p.label),
        ['NEGATIVE', 'POSITIVE'],
      );
      assert.match(first.log, /converting .*model\.safetensors to ONNX/);
      assert.match(first.log, new RegExp(`serving MODEL_ID test-org/tiny-distilbert@${commit}`));
      // The graph was written into the Hub cache snapshot as a new file; the weights stay a
      // link to their untouched blob.
      const snapshot = join(cache, 'models--test-org--tiny-distilbert', 'snapshots', commit);
      assert.ok(lstatSync(join(snapshot, 'onnx/model.onnx')).isFile());
      const weights = join(snapshot, 'model.safetensors');
      assert.ok(lstatSync(weights).isSymbolicLink());
      assert.deepEqual(
        readFileSync(join(snapshot, readlinkSync(weights))),
        readFileSync(join(source, 'model.safetensors')),
      );
      // Second start: no Hub (offline), no conversion; same answers.
      const second = await serveFromHub({ ...env, HF_HUB_OFFLINE: '1' }, ['good', 'bad']);
      assert.deepEqual(second.body, first.body);
      assert.doesNotMatch(second.log, /converting/);
      // MODEL_DTYPE=int8: the quantized graph is written on first use and is the one served.
      const int8 = await serveFromHub({ ...env, HF_HUB_OFFLINE: '1', MODEL_DTYPE: 'int8' }, [
        'good',
        'bad',
      ]);
      assert.match(int8.log, /converting .*\(int8\)/);
      assert.match(int8.log, /"graph":"[^"]*onnx\/model_quantized_packed\.onnx"/);
      assert.equal(int8.body.predictions.length, 2);
    });

    test(
      'the real SST-2 checkpoint through Hub → converter → service reproduces the golden probabilities',
      { skip: skipWithoutShared('models/sst2-tiny-distilbert/golden.jsonl') },
      async () => {
        hub.addCommit(
          'test-org/sst2-tiny-distilbert',
          repoFrom(shared('models/sst2-tiny-distilbert')),
        );
        const golden = readFileSync(shared('models/sst2-tiny-distilbert/golden.jsonl'), 'utf8')
          .trim()
          .split('\n')
          .map((line) => JSON.parse(line) as { text: string; probs: number[] });
        const { body } = await serveFromHub(
          { MODEL_ID: 'test-org/sst2-tiny-distilbert', HF_ENDPOINT: hub.url, MODEL_CACHE: cache },
          golden.map((g) => g.text),
        );
        golden.forEach((g, i) => {
          g.probs.forEach((p, c) =>
            assert.ok(
              Math.abs((body.predictions[i]?.[c]?.score as number) - p) < 1e-4,
              `${g.text} class ${c}`,
            ),
          );
        });
      },
    );

    test('an unknown repo → one line naming it, non-zero exit', async () => {
      const child = startService({
        MODEL_ID: 'test-org/no-such-model',
        HF_ENDPOINT: hub.url,
        MODEL_CACHE: cache,
      });
      const code = await exited(child);
      assert.notEqual(code, 0);
      const output = child
        .output()
        .trim()
        .split('\n')
        .filter((l) => !l.startsWith('{'));
      assert.equal(output.length, 1, child.output());
      assert.match(output[0] as string, /^sentiment-api: .*test-org\/no-such-model/);
    });
  },
);
