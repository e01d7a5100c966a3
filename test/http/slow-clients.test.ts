import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { describe, test } from 'node:test';
import { build, type TestApp } from '../helper.js';

/** The service listening on a free loopback port; closed when the test ends. */
async function listening(ctx: Parameters<typeof build>[0], env: Record<string, string>) {
  const t: TestApp = await build(ctx, env);
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  return { t, port: (t.app.server.address() as { port: number }).port };
}

/** A raw connection that records what it receives and when the server closes it. */
function open(
  port: number,
): Promise<{ socket: Socket; received: () => string; closed: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let data = '';
    socket.on('data', (chunk) => (data += chunk.toString()));
    socket.on('error', () => undefined);
    const closed = new Promise<void>((done) => socket.once('close', () => done()));
    socket.once('connect', () => resolve({ socket, received: () => data, closed }));
    socket.once('error', reject);
  });
}

/** Resolves when `promise` does, or rejects after `ms` naming `what`. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/** Writes `text` a byte every `everyMs` until the socket closes or the text ends. */
function trickle(socket: Socket, text: string, everyMs: number): NodeJS.Timeout {
  let i = 0;
  const timer = setInterval(() => {
    if (i >= text.length || socket.destroyed) return clearInterval(timer);
    socket.write(text[i++] as string);
  }, everyMs);
  return timer;
}

const predict = (port: number) =>
  fetch(`http://127.0.0.1:${port}/predict`, {
    method: 'POST',
    body: '{"text":["still served"]}',
    headers: { 'content-type': 'application/json' },
  });

describe(
  'slow and greedy clients cannot hold the service (real sockets)',
  { timeout: 60_000 },
  () => {
    test('slowloris: headers a byte at a time get 408 and a close; others are served meanwhile', async (ctx) => {
      const { port } = await listening(ctx, {
        HEADERS_TIMEOUT_MS: '400',
        RECEIVE_TIMEOUT_MS: '2000',
      });
      const slow = await Promise.all(Array.from({ length: 20 }, () => open(port)));
      const timers = slow.map(({ socket }) =>
        trickle(socket, 'GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: ' + 'a'.repeat(1000), 50),
      );
      ctx.after(() => timers.forEach(clearInterval));
      assert.equal((await fetch(`http://127.0.0.1:${port}/health`)).status, 200);
      assert.equal((await predict(port)).status, 200);
      await within(Promise.all(slow.map((c) => c.closed)), 5_000, 'every slow connection closed');
      for (const c of slow) assert.match(c.received(), /^HTTP\/1\.1 408 .*"request_timeout"/s);
    });

    test('a body sent a byte at a time is cut off at RECEIVE_TIMEOUT_MS with 408', async (ctx) => {
      const { port } = await listening(ctx, {
        HEADERS_TIMEOUT_MS: '300',
        RECEIVE_TIMEOUT_MS: '600',
      });
      const c = await open(port);
      const body = '{"text":["' + 'a'.repeat(500) + '"]}';
      c.socket.write(
        `POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`,
      );
      const timer = trickle(c.socket, body, 50);
      ctx.after(() => clearInterval(timer));
      await within(c.closed, 5_000, 'the slow body closed');
      assert.match(c.received(), /^HTTP\/1\.1 408 /);
      assert.equal((await predict(port)).status, 200);
    });

    test('connections past MAX_CONNECTIONS are closed at once; room comes back as they go', async (ctx) => {
      const { port } = await listening(ctx, { MAX_CONNECTIONS: '4' });
      const held = await Promise.all(Array.from({ length: 4 }, () => open(port)));
      const extra = await open(port);
      await within(extra.closed, 5_000, 'the connection over the cap closed');
      assert.equal(extra.received(), '');
      for (const c of held) c.socket.destroy();
      await Promise.all(held.map((c) => c.closed));
      assert.equal((await predict(port)).status, 200);
    });

    test('an idle keep-alive connection is closed after KEEP_ALIVE_TIMEOUT_MS', async (ctx) => {
      const { port } = await listening(ctx, { KEEP_ALIVE_TIMEOUT_MS: '300' });
      const c = await open(port);
      c.socket.write('GET /health HTTP/1.1\r\nHost: x\r\n\r\n');
      await within(c.closed, 5_000, 'the idle keep-alive connection closed');
      assert.match(c.received(), /^HTTP\/1\.1 200 /);
    });
  },
);
