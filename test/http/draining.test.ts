import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { test } from 'node:test';
import { ERROR_CATALOGUE } from '../../src/errors.js';
import { build, until } from '../helper.js';

test('on shutdown readiness turns 503 at once; for DRAIN_DELAY_MS requests are still served, closing their connections', async (t) => {
  const service = await build(t, { CACHE_MEMORY_BYTES: '0', DRAIN_DELAY_MS: '400' });
  const ready = await service.app.inject({ method: 'GET', url: '/ready' });
  assert.deepEqual([ready.statusCode, ready.json()], [200, { status: 'ready' }]);
  const closing = service.close();
  const draining = await service.app.inject({ method: 'GET', url: '/ready' });
  assert.deepEqual([draining.statusCode, draining.json()], [503, { status: 'draining' }]);
  const late = await service.app.inject({
    method: 'POST',
    url: '/predict',
    payload: { text: ['asked while the balancer catches up'] },
  });
  assert.equal(late.statusCode, 200, 'still served');
  assert.equal(late.headers.connection, 'close');
  assert.deepEqual(await closing, { graceExpired: false });
});

test('a request whose headers complete once the app is closing → 503 shutting_down with Retry-After; readiness still answers', async (t) => {
  const service = await build(t, { DRAIN_DELAY_MS: '0' });
  await service.app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = service.app.server.address() as { port: number };
  // Connections mid-request are not idle, so closing leaves them open: finishing the headers
  // after close has begun reaches the onRequest hooks with the app closing.
  const open = (path: string) => {
    const socket = connect(port, '127.0.0.1');
    socket.on('error', () => undefined);
    socket.write(`GET ${path} HTTP/1.1\r\nHost: x\r\n`);
    let answer = '';
    socket.on('data', (chunk) => (answer += chunk.toString()));
    const closed = new Promise<string>((resolve) => socket.on('close', () => resolve(answer)));
    return { socket, closed };
  };
  const health = open('/health');
  const ready = open('/ready');
  await new Promise((resolve) => setTimeout(resolve, 50));
  const closing = service.close();
  await until(() => !service.app.server.listening, 'the server to stop listening');
  for (const { socket } of [health, ready]) socket.end('Connection: close\r\n\r\n');
  const [refused, probe] = await Promise.all(
    [health, ready].map(({ closed }) =>
      Promise.race([
        closed,
        new Promise<string>((_, reject) =>
          setTimeout(() => reject(new Error('no answer within 5 s')), 5_000),
        ),
      ]),
    ),
  );
  const [head = '', body = ''] = (refused ?? '').split('\r\n\r\n');
  assert.match(head, /^HTTP\/1\.1 503 /);
  assert.match(head, /\r\nretry-after: 1\r\n/i);
  assert.deepEqual(JSON.parse(body), {
    detail: [{ type: 'shutting_down', loc: [], msg: ERROR_CATALOGUE.shutting_down.message }],
  });
  assert.match(probe ?? '', /^HTTP\/1\.1 503 [^]*"status":"draining"/);
  await closing;
});
