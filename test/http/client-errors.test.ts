import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { startTestApp, type TestApp } from '../helper.js';

/** Sends raw bytes on a new connection and reads until the server closes it (bounded). */
function exchange(port: number, bytes: string, timeoutMs = 5_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.end(bytes));
    let answer = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no close within ${timeoutMs} ms; got ${answer.slice(0, 200)}`));
    }, timeoutMs);
    socket.on('data', (chunk) => (answer += chunk.toString()));
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(answer);
    });
    socket.on('error', () => undefined);
  });
}

/** Status and parsed body of a raw HTTP/1.1 answer. */
function parse(answer: string): { status: number; body: { detail: unknown } } {
  const [head = '', body = ''] = answer.split('\r\n\r\n');
  return { status: Number(head.split(' ')[1]), body: JSON.parse(body) as { detail: unknown } };
}

describe('requests refused before routing answer in the documented shape', () => {
  let t: TestApp;
  let port: number;
  before(async () => {
    t = await startTestApp({});
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    port = (t.app.server.address() as { port: number }).port;
  });
  after(() => t.close());

  test('an undecodable URL → 400 bad_request at the path', async () => {
    const { status, body } = parse(
      await exchange(port, 'GET /%E0%A4%A HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'),
    );
    assert.equal(status, 400);
    assert.deepEqual((body.detail as { type: string; loc: string[] }[])[0]?.loc, ['path']);
    assert.equal((body.detail as { type: string }[])[0]?.type, 'bad_request');
  });

  test('headers over the limit → 431 headers_too_large', async () => {
    const answer = await exchange(
      port,
      `GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
    );
    const { status, body } = parse(answer);
    assert.equal(status, 431);
    assert.deepEqual(body.detail, [
      { type: 'headers_too_large', loc: [], msg: 'The request headers are too large' },
    ]);
  });

  test('bad framing or an invalid Content-Length → 400 bad_request', async () => {
    for (const bytes of [
      'BLAH\r\n\r\n',
      'POST /predict HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n',
    ]) {
      const { status, body } = parse(await exchange(port, bytes));
      assert.equal(status, 400);
      assert.equal((body.detail as { type: string }[])[0]?.type, 'bad_request');
    }
  });

  test('an HTTP/1.1 request without Host → 400 bad_request naming it, with the request id', async () => {
    const answer = await exchange(
      port,
      'GET /health HTTP/1.1\r\nX-Request-Id: no-host-1\r\nConnection: close\r\n\r\n',
    );
    const { status, body } = parse(answer);
    assert.equal(status, 400);
    assert.deepEqual(body.detail, [
      { type: 'bad_request', loc: [], msg: 'An HTTP/1.1 request must name its Host' },
    ]);
    assert.match(answer, /\r\nx-request-id: no-host-1\r\n/i);
  });

  test('an empty Content-Type header is read as JSON, as no header is', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/predict',
      payload: '{"text":["I love you"]}',
      headers: { 'content-type': '' },
    });
    assert.equal(res.statusCode, 200, res.body);
  });
});
