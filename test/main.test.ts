import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { BUNDLED_MODEL_DIR } from '../src/config.js';
import { exited, freePort, startService, waitUntilUp } from '../devkit/child-service.js';

/** Starts the service expecting it to refuse; returns its exit code and what it printed. */
async function refusal(
  env: Record<string, string>,
): Promise<{ code: number | null; output: string }> {
  const child = startService(env);
  const code = await exited(child);
  return { code, output: child.output().trim() };
}

/**
 * Sends `requests` requests of `texts` long texts each (`repeat` sentences per text), and
 * resolves once the server has read every one (its text counter says so), so a test that
 * signals next is about requests in flight, not about connections refused after close.
 */
async function sendAndWaitUntilRead(
  port: number,
  requests: number,
  texts: number,
  repeat: number,
): Promise<Promise<Response>[]> {
  const body = JSON.stringify({
    text: Array.from({ length: texts }, (_, i) => `a long and winding review ${i} `.repeat(repeat)),
  });
  const inFlight = Array.from({ length: requests }, () =>
    fetch(`http://127.0.0.1:${port}/predict`, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json' },
    }),
  );
  const received = async (): Promise<number> => {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    return Number(/^sentiment_texts_total (\d+)/m.exec(text)?.[1] ?? 0);
  };
  const deadline = Date.now() + 30_000;
  while ((await received()) < requests * texts) {
    if (Date.now() > deadline) throw new Error('the server did not read every request in 30 s');
    await new Promise((r) => setTimeout(r, 5));
  }
  return inFlight;
}

describe('start-up and shutdown of the real process', () => {
  test('a missing MODEL_DIR → one line naming it, non-zero exit, no stack trace', async () => {
    const { code, output } = await refusal({ MODEL_DIR: '/nonexistent/model' });
    assert.notEqual(code, 0);
    assert.equal(output, 'sentiment-api: model folder /nonexistent/model does not exist');
  });

  test('a model folder without its ONNX graph → one line naming the file', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'broken-model-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    copyFileSync(join(BUNDLED_MODEL_DIR, 'config.json'), join(dir, 'config.json'));
    copyFileSync(join(BUNDLED_MODEL_DIR, 'vocab.txt'), join(dir, 'vocab.txt'));
    const { code, output } = await refusal({ MODEL_DIR: dir });
    assert.notEqual(code, 0);
    assert.equal(output.split('\n').length, 1);
    assert.match(output, /has no onnx\/model\.onnx/);
  });

  test('a corrupt ONNX graph → one line from the runtime, non-zero exit', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'corrupt-model-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    for (const name of ['config.json', 'tokenizer.json', 'tokenizer_config.json'])
      copyFileSync(join(BUNDLED_MODEL_DIR, name), join(dir, name));
    mkdirSync(join(dir, 'onnx'));
    writeFileSync(join(dir, 'onnx', 'model.onnx'), 'not a graph');
    const { code, output } = await refusal({ MODEL_DIR: dir });
    assert.notEqual(code, 0);
    assert.match(output, /^sentiment-api: ONNX Runtime cannot load .*model\.onnx/);
    assert.doesNotMatch(output, /\n\s+at /, 'no stack trace');
  });

  test('a bad setting → exit 2 naming the variable', async () => {
    const { code, output } = await refusal({ PORT: 'eighty' });
    assert.equal(code, 2);
    assert.equal(
      output,
      "sentiment-api: configuration error: PORT must be a whole number, got 'eighty'",
    );
  });

  test('SIGTERM with requests in flight: every one is answered, then exit 0', async () => {
    const port = await freePort();
    const child = startService({ PORT: String(port), CACHE_MEMORY_BYTES: '0' });
    try {
      await waitUntilUp(`http://127.0.0.1:${port}/health`);
      const inFlight = await sendAndWaitUntilRead(port, 8, 64, 60);
      child.kill('SIGTERM');
      const responses = await Promise.all(inFlight);
      assert.deepEqual(
        responses.map((r) => r.status),
        Array(8).fill(200),
      );
      for (const r of responses)
        assert.equal(((await r.json()) as { predictions: unknown[] }).predictions.length, 64);
      assert.equal(await exited(child), 0, child.output());
      assert.match(child.output(), /SIGTERM: draining/);
    } finally {
      child.kill('SIGKILL');
    }
  });

  test('an idle keep-alive connection does not hold the shutdown: exit 0 long before the grace period', async () => {
    const port = await freePort();
    const child = startService({ PORT: String(port), SHUTDOWN_GRACE_MS: '60000' });
    try {
      await waitUntilUp(`http://127.0.0.1:${port}/health`);
      const idle = connect(port, '127.0.0.1', () =>
        idle.write('GET /health HTTP/1.1\r\nHost: x\r\n\r\n'),
      );
      idle.on('error', () => undefined);
      await new Promise<void>((resolve) => idle.once('data', () => resolve()));
      child.kill('SIGTERM');
      // exited() fails the test past its deadline, a fraction of the grace period.
      assert.equal(await exited(child, 15_000), 0, child.output());
      idle.destroy();
    } finally {
      child.kill('SIGKILL');
    }
  });

  test('the grace period running out mid-inference: queued texts get 503, exit 1, no abort', async () => {
    const port = await freePort();
    const child = startService({
      PORT: String(port),
      SHUTDOWN_GRACE_MS: '200',
      CACHE_MEMORY_BYTES: '0',
    });
    try {
      await waitUntilUp(`http://127.0.0.1:${port}/health`);
      const inFlight = await sendAndWaitUntilRead(port, 4, 256, 80);
      child.kill('SIGTERM');
      const responses = await Promise.all(inFlight);
      for (const r of responses) {
        assert.ok([200, 503].includes(r.status), String(r.status));
        if (r.status === 503) {
          assert.equal(r.headers.get('retry-after'), '1');
          const body = (await r.json()) as { detail: { type: string }[] };
          assert.equal(body.detail[0]?.type, 'shutting_down');
        }
      }
      assert.ok(
        responses.some((r) => r.status === 503),
        'the grace period did run out',
      );
      assert.equal(await exited(child), 1, child.output());
      assert.equal(child.signalCode, null, 'exited, not killed by a signal (no SIGABRT)');
      assert.match(child.output(), /shutdown took longer than 200 ms/);
    } finally {
      child.kill('SIGKILL');
    }
  });

  test('start-up log names the model served and how to serve the production model', async () => {
    const port = await freePort();
    const child = startService({ PORT: String(port) });
    try {
      await waitUntilUp(`http://127.0.0.1:${port}/health`);
      assert.match(child.output(), /serving bundled model .*sst2-tiny-distilbert/);
      assert.match(child.output(), /MODEL_ID=winegarj\/distilbert-base-uncased-finetuned-sst2/);
    } finally {
      child.kill('SIGTERM');
      await exited(child);
    }
  });
});
