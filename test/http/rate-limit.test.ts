import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { RedisServer, skipWithoutRedis } from '../../devkit/redis-server.js';
import { build, counter, until, type TestApp } from '../helper.js';

const sha256 = (key: string) => createHash('sha256').update(key).digest('hex');

const predict = (t: TestApp, headers: Record<string, string> = {}) =>
  t.app.inject({ method: 'POST', url: '/predict', headers, payload: { text: ['a fine day'] } });

/** The answer a client over its budget gets: 429 rate_limited, Retry-After, x-ratelimit-*. */
function assertLimited(res: LightMyRequestResponse, perMinute: number): void {
  assert.equal(res.statusCode, 429, res.body);
  const [item] = res.json().detail;
  assert.equal(item.type, 'rate_limited');
  assert.equal(item.msg.startsWith(`Rate limit of ${perMinute} requests per minute`), true);
  const retryAfter = Number(res.headers['retry-after']);
  assert.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After ${retryAfter}`);
  assert.equal(res.headers['x-ratelimit-limit'], String(perMinute));
  assert.equal(res.headers['x-ratelimit-remaining'], '0');
  assert.ok(Number(res.headers['x-ratelimit-reset']) >= 1);
}

describe('rate limits in memory', () => {
  test('per client address: the budget, then 429 before the body is read; others and probes unaffected', async (t) => {
    const app = await build(t, { RATE_LIMIT_PER_MINUTE: '3' });
    const alice = { 'x-forwarded-for': '203.0.113.7' };
    for (const remaining of ['2', '1', '0']) {
      const res = await predict(app, alice);
      assert.equal(res.statusCode, 200);
      assert.equal(res.headers['x-ratelimit-remaining'], remaining);
    }
    const texts = await counter(app.metrics, 'sentiment_texts_total');
    assertLimited(await predict(app, alice), 3);
    assert.equal(await counter(app.metrics, 'sentiment_texts_total'), texts, 'nothing classified');
    // Another address (trustProxy: the forwarded one), an IPv6 host's /64, and the probes.
    assert.equal((await predict(app, { 'x-forwarded-for': '198.51.100.1' })).statusCode, 200);
    for (const ip of ['2001:db8:1:2::1', '2001:db8:1:2::2', '2001:db8:1:2::3']) {
      assert.equal((await predict(app, { 'x-forwarded-for': ip })).statusCode, 200, ip);
    }
    assertLimited(await predict(app, { 'x-forwarded-for': '2001:db8:1:2:ffff::9' }), 3);
    for (let i = 0; i < 5; i++) {
      assert.equal((await app.app.inject({ url: '/health', headers: alice })).statusCode, 200);
    }
    assert.equal(
      (await app.app.inject({ url: '/health' })).headers['x-ratelimit-limit'],
      undefined,
    );
  });

  test('keys on: counted per key name, not per address', async (t) => {
    const app = await build(t, {
      RATE_LIMIT_PER_MINUTE: '2',
      API_KEYS_SHA256: `ci:${sha256('ci-key')},batch:${sha256('batch-key')}`,
    });
    const from = (key: string, ip: string) => ({ 'x-api-key': key, 'x-forwarded-for': ip });
    // One key from two addresses shares one budget.
    assert.equal((await predict(app, from('ci-key', '192.0.2.1'))).statusCode, 200);
    assert.equal((await predict(app, from('ci-key', '192.0.2.2'))).statusCode, 200);
    assertLimited(await predict(app, from('ci-key', '192.0.2.3')), 2);
    // Another key from the same address has its own.
    assert.equal((await predict(app, from('batch-key', '192.0.2.1'))).statusCode, 200);
    // A refused key is 401 and spends no one's budget.
    assert.equal((await predict(app, from('wrong', '192.0.2.1'))).statusCode, 401);
    assert.equal((await predict(app, from('batch-key', '192.0.2.1'))).statusCode, 200);
  });

  test('off by default: no x-ratelimit headers, no limit', async (t) => {
    const app = await build(t);
    for (let i = 0; i < 5; i++) {
      const res = await predict(app);
      assert.equal(res.statusCode, 200);
      assert.equal(res.headers['x-ratelimit-limit'], undefined);
    }
  });
});

describe('rate limits shared through a real redis-server', { skip: skipWithoutRedis() }, () => {
  let redis: RedisServer;
  before(async () => {
    redis = await RedisServer.start();
  });
  after(() => redis.stop());

  test('two app instances count one budget per client; Redis killed: requests pass, unlimited', async (t) => {
    const env = { RATE_LIMIT_PER_MINUTE: '4', REDIS_URL: redis.url, REDIS_KEY_PREFIX: 'rl-test:' };
    const a = await build(t, env);
    const b = await build(t, env);
    const client = { 'x-forwarded-for': '203.0.113.50' };
    // The limiter's connection comes up on its own; until then requests pass uncounted.
    await until(
      async () => (await predict(a, client)).headers['x-ratelimit-remaining'] === '3',
      'the first request counted in Redis',
    );
    assert.equal((await predict(b, client)).headers['x-ratelimit-remaining'], '2');
    assert.equal((await predict(a, client)).headers['x-ratelimit-remaining'], '1');
    assert.equal((await predict(b, client)).headers['x-ratelimit-remaining'], '0');
    assertLimited(await predict(a, client), 4);
    assertLimited(await predict(b, client), 4);
    // Another client is not affected, on either replica.
    assert.equal((await predict(b, { 'x-forwarded-for': '203.0.113.51' })).statusCode, 200);

    await redis.kill();
    for (const app of [a, b, a, b, a]) {
      const res = await predict(app, client);
      assert.equal(res.statusCode, 200, 'a Redis that is down never fails a request');
    }
  });
});
