import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { pino } from 'pino';
import { BUNDLED_MODEL_DIR, loadConfig } from '../../src/config.js';
import { startService } from '../../src/service.js';
import { counter } from '../helper.js';

/**
 * A copy of the bundled model whose tokenizer knows one word the embedding table has no row
 * for: a real ONNX Runtime error (Gather out of bounds) on any batch holding that word.
 */
function modelThatFailsOn(word: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'failing-model-'));
  cpSync(BUNDLED_MODEL_DIR, dir, { recursive: true });
  const path = join(dir, 'tokenizer.json');
  const tokenizer = JSON.parse(readFileSync(path, 'utf8')) as {
    model: { vocab: Record<string, number> };
  };
  tokenizer.model.vocab[word] = 1_000_000;
  writeFileSync(path, JSON.stringify(tokenizer));
  return dir;
}

test('a forward pass that fails: its requests get 500 model_failed, once logged and counted; the service stays up', async (t) => {
  const dir = modelThatFailsOn('zzqxfail');
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const lines: string[] = [];
  const config = loadConfig({ MODEL_DIR: dir, INFERENCE_WORKERS: '1', BATCH_PACKING: '0' });
  const service = await startService(
    config,
    pino({ level: 'info' }, { write: (line: string) => lines.push(line) }),
  );
  t.after(() => service.close());
  const predict = (text: string[]) =>
    service.app.inject({ method: 'POST', url: '/predict', payload: { text } });

  const failed = await predict(['zzqxfail', 'an innocent text in the same batch']);
  assert.equal(failed.statusCode, 500);
  const { detail } = failed.json<{ detail: { type: string; msg: string }[] }>();
  assert.equal(detail[0]?.type, 'model_failed');
  assert.doesNotMatch(failed.body, /\/tmp\/|at /, 'no path or stack in the answer');

  assert.equal((await service.app.inject({ method: 'GET', url: '/health' })).statusCode, 200);
  const fine = await predict(['I love this film']);
  assert.equal(fine.statusCode, 200, 'the next batch runs');
  assert.equal(await counter(service.metrics, 'sentiment_batch_failures_total'), 1);
  const logged = lines.filter((line) => line.includes('a forward pass failed'));
  assert.equal(logged.length, 1, 'one line for the batch, not one per request');
});
