import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test, type TestContext } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { CONSECUTIVE_FAILURES_TO_OPEN } from '../../src/redis-circuit.js';
import { RedisServer, skipWithoutRedis } from '../../devkit/redis-server.js';
import { build, buildLogged, buildOnRedis, counter, until, type TestApp } from '../helper.js';

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

  test('two app instances count one budget per client; Redis killed: requests pass, each replica counting alone', async (t) => {
    const env = { RATE_LIMIT_PER_MINUTE: '4', REDIS_URL: redis.url, REDIS_KEY_PREFIX: 'rl-test:' };
    // Both limiters connected first: until then a replica counts alone, by design.
    const { service: a } = await buildOnRedis(t, env);
    const { service: b } = await buildOnRedis(t, env);
    const client = { 'x-forwarded-for': '203.0.113.50' };
    assert.equal((await predict(a, client)).headers['x-ratelimit-remaining'], '3');
    assert.equal((await predict(b, client)).headers['x-ratelimit-remaining'], '2');
    assert.equal((await predict(a, client)).headers['x-ratelimit-remaining'], '1');
    assert.equal((await predict(b, client)).headers['x-ratelimit-remaining'], '0');
    assertLimited(await predict(a, client), 4);
    assertLimited(await predict(b, client), 4);
    // Another client is not affected, on either replica.
    assert.equal((await predict(b, { 'x-forwarded-for': '203.0.113.51' })).statusCode, 200);

    await redis.kill();
    // Each replica now counts alone (rate-limit-store.ts): no request fails for Redis, and
    // a fresh client gets its budget once per replica.
    for (const app of [a, b, a, b]) {
      const res = await predict(app, { 'x-forwarded-for': '203.0.113.52' });
      assert.equal(res.statusCode, 200, 'a Redis that is down never fails a request');
    }
  });
});

describe(
  'the limiter behind a circuit breaker, over real sockets',
  { skip: skipWithoutRedis() },
  () => {
    let redis: RedisServer;
    before(async () => {
      redis = await RedisServer.start();
    });
    after(() => redis.stop());

    /** REDIS_TIMEOUT_MS of the services below: what a hung command costs a request. */
    const TIMEOUT_MS = 300;

    /**
     * A service on 127.0.0.1 whose limiter counts in the Redis above, its log lines kept and
     * closed when the test ends; returned once `firstClient`'s request was counted there (the
     * limiter's connection comes up on its own, and until then each request is counted here).
     */
    async function countingInRedis(ctx: TestContext, firstClient: string) {
      const limited = await limitedService(ctx);
      await until(
        async () =>
          (await limited.send(firstClient)).res.headers.get('x-ratelimit-remaining') === '4',
        'the first request counted in Redis',
      );
      return limited;
    }

    /** That service as it starts, connected to Redis or not. */
    async function limitedService(ctx: TestContext) {
      const { service, logged } = await buildLogged(ctx, {
        RATE_LIMIT_PER_MINUTE: '5',
        REDIS_URL: redis.url,
        REDIS_KEY_PREFIX: 'rl-breaker:',
        // The breaker must keep requests from paying this for a hung Redis.
        REDIS_TIMEOUT_MS: String(TIMEOUT_MS),
        REDIS_CIRCUIT_RESET_MS: '500',
      });
      await service.app.listen({ host: '127.0.0.1', port: 0 });
      const { port } = service.app.server.address() as AddressInfo;
      const send = async (client: string) => {
        const started = performance.now();
        const res = await fetch(`http://127.0.0.1:${port}/predict`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-forwarded-for': client },
          body: JSON.stringify({ text: ['a fine day'] }),
          signal: AbortSignal.timeout(10_000),
        });
        const body = await res.text();
        return { res, body, ms: performance.now() - started };
      };
      const metric = (name: string, labels = {}) => counter(service.metrics, name, labels);
      return { send, logged, metric };
    }

    /**
     * While the limiter's client is not connected: `count` requests answered at once and
     * counted here, and the circuit never fired (nothing was sent that could say Redis hangs).
     */
    async function countedLocallyWhileDown(
      { send, logged, metric }: Awaited<ReturnType<typeof limitedService>>,
      count: number,
    ) {
      const local = () => metric('sentiment_rate_limit_counted_total', { store: 'local' });
      const before = await local();
      for (let i = 0; i < count; i++) {
        const { res, ms } = await send(`198.51.100.${30 + i}`);
        assert.equal(res.status, 200, 'a Redis that is not there fails no request');
        assert.ok(ms < 1_000, `answered in ${ms.toFixed(0)} ms`);
      }
      assert.equal((await local()) - before, count);
      assert.equal(await metric('sentiment_rate_limit_circuit_open'), 0, 'the circuit untouched');
      assert.equal(logged('redis rate limit circuit open'), 0);
    }

    test('a hung Redis (SIGSTOP): the circuit opens after a few timeouts, requests stop waiting, each replica counts alone, logged once; probed back', async (ctx) => {
      const { send, logged, metric } = await countingInRedis(ctx, '198.51.100.1');
      redis.pause();
      ctx.after(() => redis.resume());
      // Four commands time out together (the breaker's volume threshold): the circuit opens.
      const first = await Promise.all([1, 2, 3, 4].map((i) => send(`198.51.100.${10 + i}`)));
      for (const { res } of first) assert.equal(res.status, 200, 'a hung Redis fails no request');
      assert.equal(await metric('sentiment_rate_limit_circuit_open'), 1);
      // Now no request waits for Redis: 20 in a row take less than 3 of its timeouts in all.
      const started = performance.now();
      for (let i = 0; i < 20; i++) {
        assert.equal((await send(`198.51.100.${100 + i}`)).res.status, 200);
      }
      const total = performance.now() - started;
      assert.ok(total < 3 * TIMEOUT_MS, `20 requests took ${total.toFixed(0)} ms with Redis hung`);
      // The limit still holds, per replica: a fresh client gets 5, then 429 from the local count.
      for (let i = 0; i < 5; i++) assert.equal((await send('203.0.113.77')).res.status, 200);
      const over = await send('203.0.113.77');
      assert.equal(over.res.status, 429);
      assert.equal(JSON.parse(over.body).detail[0].type, 'rate_limited');
      assert.ok(Number(over.res.headers.get('retry-after')) >= 1);
      assert.ok((await metric('sentiment_rate_limit_counted_total', { store: 'local' })) >= 30);
      assert.equal(logged('redis rate limit circuit open'), 1, 'logged once per change of state');

      redis.resume();
      const inRedis = await metric('sentiment_rate_limit_counted_total', { store: 'redis' });
      await until(async () => {
        await send('192.0.2.200');
        return (await metric('sentiment_rate_limit_circuit_open')) === 0;
      }, 'a probe closing the circuit');
      assert.equal(logged('redis rate limit circuit closed'), 1);
      await send('192.0.2.201');
      assert.ok((await metric('sentiment_rate_limit_counted_total', { store: 'redis' })) > inRedis);
    });

    test('a Redis that hangs after a busy spell of counted requests: the circuit opens after about four timeouts, not once they outnumber the successes', async (ctx) => {
      const { send, metric } = await countingInRedis(ctx, '198.51.100.3');
      const circuitOpen = async () => (await metric('sentiment_rate_limit_circuit_open')) === 1;
      // 200 requests counted in Redis (one client each), well inside the breaker's 10 s window.
      const inRedis = await metric('sentiment_rate_limit_counted_total', { store: 'redis' });
      for (let i = 0; i < 200; i++) {
        assert.equal((await send(`10.7.${i >> 8}.${i & 255}`)).res.status, 200);
      }
      assert.equal(
        (await metric('sentiment_rate_limit_counted_total', { store: 'redis' })) - inRedis,
        200,
      );
      redis.pause();
      ctx.after(() => redis.resume());
      // One request at a time until the circuit opens (bounded: with the error share alone it
      // would take over 200 timeouts); each that waited REDIS_TIMEOUT_MS is one Redis cost.
      let waited = 0;
      for (let i = 0; i < 20 && !(await circuitOpen()); i++) {
        const { res, ms } = await send(`198.51.100.${160 + i}`);
        assert.equal(res.status, 200, 'a hung Redis fails no request');
        if (ms >= TIMEOUT_MS) waited++;
      }
      ctx.diagnostic(`${waited} requests waited for the hung Redis`);
      assert.ok(
        await circuitOpen(),
        `the circuit is still closed after ${waited} requests waited for the hung Redis`,
      );
      assert.ok(
        waited >= 1 && waited <= CONSECUTIVE_FAILURES_TO_OPEN + 1,
        `${waited} requests waited for the hung Redis before the circuit opened`,
      );
    });

    test('a dead Redis (SIGKILL): requests pass at once, counted locally, the circuit untouched; once it is back, counted in Redis again', async (ctx) => {
      const limited = await countingInRedis(ctx, '198.51.100.2');
      await redis.kill();
      await until(() => limited.logged('redis rate limit down') > 0, 'the limiter seeing it gone');
      await countedLocallyWhileDown(limited, 10);
      await redis.restart();
      await until(() => limited.logged('redis rate limit up') > 1, 'the limiter back', 15_000);
      const res = (await limited.send('192.0.2.211')).res;
      assert.equal(res.headers.get('x-ratelimit-remaining'), '4', 'a fresh Redis counts afresh');
    });

    test('a limiter started before its Redis is up: counted locally, the circuit untouched; counted in Redis from its first connection', async (ctx) => {
      await redis.kill();
      let restarted = false;
      // The suite's later tests and its `after` need the server back, whatever fails here.
      ctx.after(() => (restarted ? undefined : redis.restart()));
      const limited = await limitedService(ctx);
      await countedLocallyWhileDown(limited, 10);
      await redis.restart();
      restarted = true;
      await until(() => limited.logged('redis rate limit up') > 0, 'the limiter connected', 15_000);
      const res = (await limited.send('192.0.2.212')).res;
      assert.equal(res.headers.get('x-ratelimit-remaining'), '4', 'counted in Redis at once');
    });
  },
);
