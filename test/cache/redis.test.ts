import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { build, buildOnRedis, counter, until, type TestApp } from '../helper.js';
import { RedisServer, skipWithoutRedis } from '../../devkit/redis-server.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('the Redis tier against a real redis-server', { skip: skipWithoutRedis() }, () => {
  let redis: RedisServer;
  let client: Redis;
  before(async () => {
    redis = await RedisServer.start();
    client = new Redis(redis.url, { maxRetriesPerRequest: 1 });
  });
  after(async () => {
    client.disconnect();
    await redis.stop();
  });

  const predict = (t: TestApp, text: string[]) =>
    t.app.inject({ method: 'POST', url: '/predict', payload: { text } });

  test('two app instances share results: the second computes nothing and answers the same bytes', async (ctx) => {
    const { service: a } = await buildOnRedis(ctx, {
      CACHE_HITS_HEADER: '1',
      REDIS_URL: redis.url,
    });
    const { service: b } = await buildOnRedis(ctx, {
      CACHE_HITS_HEADER: '1',
      REDIS_URL: redis.url,
    });
    const texts = ['shared between replicas', 'another shared text'];
    const first = await predict(a, texts);
    assert.equal(first.headers['x-cache-hits'], '0');
    // Writes are off the response path: wait until both keys are in Redis.
    await until(
      async () => (await client.keys('sentiment:v1:*')).length >= 2,
      'keys written',
      5_000,
    );
    const second = await predict(b, texts);
    assert.equal(second.headers['x-cache-hits'], '2');
    assert.equal(second.body, first.body);
    assert.equal(await counter(b.metrics, 'sentiment_computed_texts_total'), 0);
    assert.equal(
      await counter(b.metrics, 'sentiment_cache_lookups_total', { tier: 'redis', result: 'hit' }),
      2,
    );
  });

  test('entries expire after CACHE_TTL_SECONDS', async (ctx) => {
    const { service: t } = await buildOnRedis(ctx, {
      CACHE_HITS_HEADER: '1',
      REDIS_URL: redis.url,
      CACHE_TTL_SECONDS: '1',
    });
    await predict(t, ['this one expires']);
    await until(
      async () => {
        const keys = await client.keys('sentiment:v1:*');
        const ttls = await Promise.all(keys.map((k) => client.ttl(k)));
        return ttls.some((ttl) => ttl === 1);
      },
      'a key with a 1 s TTL',
      5_000,
    );
    await sleep(1_300);
    const again = await predict(t, ['this one expires']);
    assert.equal(again.headers['x-cache-hits'], '0', 'expired in both tiers');
    assert.equal(await counter(t.metrics, 'sentiment_computed_texts_total'), 2);
  });

  test('Redis killed mid-test: requests still succeed; after a restart the client reconnects by itself', async (ctx) => {
    const t = await build(ctx, {
      CACHE_HITS_HEADER: '1',
      REDIS_URL: redis.url,
      CACHE_MEMORY_BYTES: '0',
    });
    assert.equal((await predict(t, ['before the crash'])).statusCode, 200);
    await redis.kill();
    for (let i = 0; i < 5; i++) {
      const res = await predict(t, [`while redis is down ${i}`]);
      assert.equal(res.statusCode, 200);
    }
    assert.ok((await counter(t.metrics, 'sentiment_cache_errors_total', { tier: 'redis' })) >= 1);
    await redis.restart();
    client.disconnect();
    client = new Redis(redis.url, { maxRetriesPerRequest: 1 });
    // Reconnection is the client's own doing; results are stored again once it is back.
    await until(
      async () => {
        await predict(t, ['after the restart']);
        return (await client.keys('sentiment:v1:*')).length > 0;
      },
      'writes after reconnect',
      15_000,
    );
    const hit = await predict(t, ['after the restart']);
    assert.equal(hit.headers['x-cache-hits'], '1');
  });

  test('a Redis that stops answering costs at most REDIS_TIMEOUT_MS: the model answers', async (ctx) => {
    const t = await build(ctx, {
      CACHE_HITS_HEADER: '1',
      REDIS_URL: redis.url,
      CACHE_MEMORY_BYTES: '0',
      REDIS_TIMEOUT_MS: '100',
    });
    await until(async () => (await predict(t, ['warm'])).statusCode === 200, 'app', 5_000);
    await client.call('CLIENT', 'PAUSE', '1500', 'ALL');
    const started = performance.now();
    const res = await predict(t, ['asked while redis is paused']);
    const elapsed = performance.now() - started;
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['x-cache-hits'], '0');
    assert.ok(elapsed < 1_000, `answered in ${elapsed.toFixed(0)} ms, not after the pause`);
    assert.ok((await counter(t.metrics, 'sentiment_cache_errors_total', { tier: 'redis' })) >= 1);
    await sleep(1_600);
  });

  test('a bad value in Redis is a counted miss, never a 500 or a wrong answer', async (ctx) => {
    const { service: t } = await buildOnRedis(ctx, {
      CACHE_HITS_HEADER: '1',
      REDIS_URL: redis.url,
      CACHE_MEMORY_BYTES: '0',
    });
    const text = ['a text whose stored value goes bad'];
    await client.flushdb();
    const first = await predict(t, text);
    assert.equal(first.statusCode, 200);
    let keys: string[] = [];
    await until(async () => (keys = await client.keys('sentiment:v1:*')).length > 0, 'the write');
    const bad = [
      'null',
      '"a string"',
      '[0.5]',
      '[1e308, -5]',
      'not json',
      '[0.5, 0.6]',
      '{}',
      '[0.5, 0.5]', // the format before the monitor: the scores alone
      '[[0.5, 0.5], [1, 2]]', // another feature layout
    ];
    for (const [i, value] of bad.entries()) {
      await Promise.all(keys.map((key) => client.set(key, value)));
      const res = await predict(t, text);
      assert.equal(res.statusCode, 200, value);
      assert.equal(res.body, first.body, `recomputed, not served: ${value}`);
      assert.equal(res.headers['x-cache-hits'], '0', value);
      assert.equal(
        await counter(t.metrics, 'sentiment_cache_rejected_total', { tier: 'redis' }),
        i + 1,
        value,
      );
      // The recomputed value is written back in the background: let it land before the next.
      await until(
        async () => (await client.get(keys[0] as string))?.startsWith('[[0.') ?? false,
        'the good value written back',
      );
    }
  });

  test('a hung Redis (SIGSTOP) opens the circuit: it is skipped, logged once, and probed back', async (ctx) => {
    // Connected first: lookups before the client connects are misses that say nothing of a hang.
    const { service: t, logged } = await buildOnRedis(ctx, {
      CACHE_HITS_HEADER: '1',
      REDIS_URL: redis.url,
      CACHE_MEMORY_BYTES: '0',
      REDIS_TIMEOUT_MS: '100',
      REDIS_CIRCUIT_RESET_MS: '300',
    });
    await until(async () => (await predict(t, ['warm'])).statusCode === 200, 'app', 5_000);
    redis.pause();
    ctx.after(() => redis.resume());
    for (let i = 0; i < 30; i++) {
      assert.equal((await predict(t, [`asked while redis hangs ${i}`])).statusCode, 200);
    }
    const errors = await counter(t.metrics, 'sentiment_cache_errors_total', { tier: 'redis' });
    // Without the circuit every lookup and write of the 30 requests would wait for its timeout.
    assert.ok(
      errors <= 12,
      `only the commands before the circuit opened and its probes failed: ${errors}`,
    );
    assert.equal(await counter(t.metrics, 'sentiment_cache_circuit_open', { tier: 'redis' }), 1);
    assert.equal(logged('circuit open'), 1, 'logged once per change of state');
    redis.resume();
    await until(
      async () => {
        await predict(t, ['asked after redis woke up']);
        return (await counter(t.metrics, 'sentiment_cache_circuit_open', { tier: 'redis' })) === 0;
      },
      'the circuit to close',
      10_000,
    );
    assert.ok(logged('circuit closed') > 0);
    await until(
      async () => (await predict(t, ['asked after redis woke up'])).headers['x-cache-hits'] === '1',
      'hits again',
    );
  });
});
