import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test, type TestContext } from 'node:test';
import { buildLogged, startTestApp, type TestApp } from '../helper.js';

/** A body as `inject` takes it: JSON to serialize, or the raw text. */
type Payload = string | Record<string, unknown>;

/** A service for one test that logs everything, its lines parsed. */
async function logging(ctx: TestContext, env: Record<string, string>) {
  const { service, lines } = await buildLogged(ctx, { LOG_LEVEL: 'trace', ...env });
  return {
    service,
    lines: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

describe('x-request-id', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp();
  });
  after(() => t.close());
  const predict = (headers: Record<string, string>, payload: Payload = { text: ['id'] }) =>
    t.app.inject({ method: 'POST', url: '/predict', headers, payload });
  const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

  test("a client's id is echoed as sent", async () => {
    for (const id of [
      'trace-7f3a',
      '0af7651916cd43dd8448eb211c80319c',
      'a'.repeat(128),
      'b64+/=:@.x_',
    ]) {
      const res = await predict({ 'x-request-id': id });
      assert.equal(res.statusCode, 200);
      assert.equal(res.headers['x-request-id'], id);
    }
  });

  test('none, or one too long or holding other characters: a fresh UUID instead, never the input cut', async () => {
    const seen = new Set<string>();
    for (const id of [
      undefined,
      '',
      'a'.repeat(129),
      'has space',
      'quote"d',
      'semi;colon',
      'ünï',
    ]) {
      const res = await predict(id === undefined ? {} : { 'x-request-id': id });
      const echoed = res.headers['x-request-id'] as string;
      assert.match(echoed, UUID, `for ${JSON.stringify(id)}`);
      seen.add(echoed);
    }
    assert.equal(seen.size, 7, 'each request its own id');
  });

  test('refusals echo it too (422, 415, 404, 405)', async () => {
    const id = 'refused-1';
    assert.equal((await predict({ 'x-request-id': id }, { txt: [] })).headers['x-request-id'], id);
    const media = await predict({ 'x-request-id': id, 'content-type': 'application/xml' }, '<a/>');
    assert.equal(media.statusCode, 415);
    assert.equal(media.headers['x-request-id'], id);
    for (const [method, url] of [
      ['GET', '/nowhere'],
      ['DELETE', '/predict'],
    ] as const) {
      const res = await t.app.inject({ method, url, headers: { 'x-request-id': id } });
      assert.equal(res.headers['x-request-id'], id, `${method} ${url}`);
    }
  });
});

describe('logs: every line of a request has its id; texts only with LOG_TEXTS=1', () => {
  // A 1 ms request timeout: the request times out (504), and a 504 is logged on the
  // request's logger. QUEUE_MAX_WAIT_MS=0 so admission cannot refuse it first.
  const env = { REQUEST_TIMEOUT_MS: '1', QUEUE_MAX_WAIT_MS: '0' };
  const marker = 'zqxjmarker';
  const texts = Array.from({ length: 64 }, (_, i) => `${marker} number ${i} of a request`);
  const send = (service: TestApp, id: string, payload: Payload) =>
    service.app.inject({
      method: 'POST',
      url: '/predict',
      headers: { 'x-request-id': id },
      payload,
    });

  test('by default: the 504 line carries the request id, and no line holds a text', async (ctx) => {
    const { service, lines } = await logging(ctx, env);
    const timedOut = await send(service, 'quiet-1', { text: texts });
    assert.equal(timedOut.statusCode, 504);
    assert.equal((await send(service, 'quiet-2', { txt: [marker] })).statusCode, 422);
    const own = lines().filter((line) => line.requestId === 'quiet-1');
    assert.ok(own.length >= 1, 'the timeout is logged on the request');
    assert.ok(own.every((line) => line.level === 40 && /did not complete/.test(String(line.msg))));
    const leaked = lines().filter((line) => JSON.stringify(line).includes(marker));
    assert.deepEqual(leaked, [], 'no text in any line');
  });

  test('LOG_TEXTS=1: the body, refused ones too, on a line with the request id', async (ctx) => {
    const { service, lines } = await logging(ctx, { ...env, LOG_TEXTS: '1' });
    assert.equal((await send(service, 'loud-1', { text: texts })).statusCode, 504);
    assert.equal((await send(service, 'loud-2', { txt: [marker] })).statusCode, 422);
    const first = lines().filter((line) => line.requestId === 'loud-1');
    assert.deepEqual(
      first.map((line) => line.msg),
      ['request body', 'The request did not complete within 1 ms.'],
    );
    assert.deepEqual((first[0]?.body as { text: string[] }).text, texts);
    const second = lines().filter((line) => line.requestId === 'loud-2');
    assert.deepEqual(second[0]?.body, { txt: [marker] });
    const unlabelled = lines().filter(
      (line) => JSON.stringify(line).includes(marker) && line.requestId === undefined,
    );
    assert.deepEqual(unlabelled, [], 'every line with a text names its request');
  });

  test("over a real socket: the 504 line carries the request id and, with keys on, the client's name", async (ctx) => {
    const key = 'a-key-for-the-log-test';
    const digest = createHash('sha256').update(key).digest('hex');
    const { service, lines } = await logging(ctx, { ...env, API_KEYS_SHA256: `alice:${digest}` });
    await service.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = service.app.server.address() as { port: number };
    const res = await fetch(`http://127.0.0.1:${port}/predict`, {
      method: 'POST',
      headers: { 'x-request-id': 'socket-1', 'x-api-key': key },
      body: JSON.stringify({ text: texts }),
      signal: AbortSignal.timeout(10_000),
    });
    assert.equal(res.status, 504);
    await res.arrayBuffer();
    const own = lines().filter((line) => line.requestId === 'socket-1');
    assert.ok(own.length >= 1, 'the timeout is logged on the request');
    assert.ok(own.every((line) => line.client === 'alice' && line.level === 40));
  });
});
