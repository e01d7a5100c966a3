import assert from 'node:assert/strict';
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, test, type TestContext } from 'node:test';
import { loadConfig } from '../../src/config.js';
import { build } from '../helper.js';

/**
 * Who the service thinks a client is, seen through real sockets: the rate limit counts the
 * address `request.ip` gives, so a client that could choose it could spend everyone's budget
 * or escape its own. The test binds its client sockets to two loopback addresses: 127.0.0.2
 * plays a proxy (TRUST_PROXY lists it), 127.0.0.1 a client that reached the port directly.
 */
async function listening(ctx: TestContext, env: Record<string, string>) {
  const service = await build(ctx, { RATE_LIMIT_PER_MINUTE: '3', ...env });
  await service.app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = service.app.server.address() as AddressInfo;
  /** POST /predict from `from`, with the X-Forwarded-For it writes; status and remaining. */
  const send = (from: string, forwardedFor?: string) =>
    new Promise<{ status: number; remaining: string | undefined }>((resolve, reject) => {
      const body = JSON.stringify({ text: ['a fine day'] });
      const req = request(
        {
          host: '127.0.0.1',
          port,
          localAddress: from,
          method: 'POST',
          path: '/predict',
          agent: false,
          timeout: 10_000,
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
            ...(forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor }),
          },
        },
        (res) => {
          res.resume();
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              remaining: res.headers['x-ratelimit-remaining'] as string | undefined,
            }),
          );
        },
      );
      req.on('timeout', () => req.destroy(new Error('no answer within 10 s')));
      req.on('error', reject);
      req.end(body);
    });
  return send;
}

describe('TRUST_PROXY: a client cannot choose the address it is counted as', () => {
  test('a client that reaches the port directly: whatever X-Forwarded-For it writes, it is counted as its socket', async (ctx) => {
    const send = await listening(ctx, { TRUST_PROXY: '127.0.0.2' });
    // Each request claims another address; all of them are 127.0.0.1's budget.
    assert.equal((await send('127.0.0.1', '203.0.113.1')).remaining, '2');
    assert.equal((await send('127.0.0.1', '203.0.113.2')).remaining, '1');
    assert.equal((await send('127.0.0.1', '203.0.113.3, 198.51.100.3')).remaining, '0');
    assert.equal((await send('127.0.0.1', '203.0.113.4')).status, 429);
    // Through the trusted proxy, the address it forwards is believed: a budget of its own.
    assert.equal((await send('127.0.0.2', '203.0.113.4')).remaining, '2');
  });

  test('through a trusted proxy: the address it appended counts, not the left-most one a client wrote', async (ctx) => {
    const send = await listening(ctx, { TRUST_PROXY: '127.0.0.2' });
    // The client wrote a new left-most entry each time; the proxy appended what it saw.
    for (const [spoofed, remaining] of [
      ['1.1.1.1', '2'],
      ['2.2.2.2', '1'],
      ['3.3.3.3', '0'],
    ] as const) {
      assert.equal((await send('127.0.0.2', `${spoofed}, 198.51.100.20`)).remaining, remaining);
    }
    assert.equal((await send('127.0.0.2', '4.4.4.4, 198.51.100.20')).status, 429);
    // A chain of two trusted hops: the first untrusted address from the right.
    assert.equal((await send('127.0.0.2', '5.5.5.5, 198.51.100.21, 127.0.0.2')).remaining, '2');
  });

  test('TRUST_PROXY=none: forwarded headers are ignored even from loopback', async (ctx) => {
    const send = await listening(ctx, { TRUST_PROXY: 'none' });
    assert.equal((await send('127.0.0.1', '203.0.113.10')).remaining, '2');
    assert.equal((await send('127.0.0.1', '203.0.113.11')).remaining, '1');
    assert.equal((await send('127.0.0.2', '203.0.113.12')).remaining, '2', 'its own socket');
  });

  test('the default trusts loopback only (a sidecar), so a gateway elsewhere must be listed', async (ctx) => {
    assert.deepEqual(loadConfig({}).trustProxy, ['loopback']);
    const send = await listening(ctx, {});
    assert.equal((await send('127.0.0.1', '203.0.113.30')).remaining, '2');
    assert.equal((await send('127.0.0.1', '203.0.113.31')).remaining, '2');
  });

  test('settings that would let clients forge their address are refused at start, by name', () => {
    const refused = (value: string, words: RegExp) =>
      assert.throws(
        () => loadConfig({ TRUST_PROXY: value }),
        (error: Error) => error.message.startsWith('TRUST_PROXY: ') && words.test(error.message),
        value,
      );
    refused('2', /hop count is not supported/);
    refused('true', /forge/);
    refused('10.0.0.0/33', /not an address, a CIDR range/);
    refused('gateway.local', /not an address/);
    assert.deepEqual(loadConfig({ TRUST_PROXY: ' 10.0.0.0/8, ::1 ,uniquelocal' }).trustProxy, [
      '10.0.0.0/8',
      '::1',
      'uniquelocal',
    ]);
    assert.deepEqual(loadConfig({ TRUST_PROXY: 'none' }).trustProxy, []);
  });
});
