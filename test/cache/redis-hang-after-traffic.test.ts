/**
 * A Redis that hangs after serving traffic: the circuit must open within a few timed-out
 * commands, not once timeouts outnumber the successes of the last 10 s (opossum's error
 * percentage alone). Found by the topology's Redis SIGSTOP scenario: after a few seconds of
 * hits, every request of a 3 s hang waited REDIS_TIMEOUT_MS and left its command queued
 * behind the hung connection (753 commands piled up, docs/benchmarks.md, "Topology").
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { buildLogged, counter, until } from '../helper.js';
import { RedisServer, skipWithoutRedis } from '../../devkit/redis-server.js';

describe('a Redis that hangs after serving hits', { skip: skipWithoutRedis() }, () => {
  let redis: RedisServer;
  before(async () => {
    redis = await RedisServer.start();
  });
  after(async () => {
    redis.resume();
    await redis.stop();
  });

  test('opens the circuit after a few timeouts, however many successes came before', async (t) => {
    const { service, logged } = await buildLogged(t, {
      CACHE_HITS_HEADER: '1',
      REDIS_URL: redis.url,
      CACHE_MEMORY_BYTES: '0',
      REDIS_TIMEOUT_MS: '100',
      // Long, so no probe of the circuit falls inside the measurement.
      REDIS_CIRCUIT_RESET_MS: '10000',
    });
    const predict = (text: string[]) =>
      service.app.inject({ method: 'POST', url: '/predict', payload: { text } });
    // The client connects after start-up; lookups before that fail at once, and four in a row
    // would open the circuit for the whole reset above.
    await until(() => logged('redis cache up') > 0, 'the cache connected to Redis', 5_000);
    await until(
      async () => (await predict(['a text everyone asks for'])).headers['x-cache-hits'] === '1',
      'a Redis hit',
      5_000,
    );
    // 400 successful lookups within the breaker's 10 s window.
    for (let i = 0; i < 400; i++) await predict(['a text everyone asks for']);
    redis.pause();
    const started = performance.now();
    for (let i = 0; i < 40; i++) {
      assert.equal((await predict([`asked while redis hangs ${i}`])).statusCode, 200);
    }
    const elapsedMs = performance.now() - started;
    const errors = await counter(service.metrics, 'sentiment_cache_errors_total', {
      tier: 'redis',
    });
    assert.equal(
      await counter(service.metrics, 'sentiment_cache_circuit_open', { tier: 'redis' }),
      1,
      'the circuit should be open',
    );
    // Four lookups time out (and at most as many writes fail) before it opens; with the error
    // percentage alone, all 40 lookups would have waited 100 ms each.
    assert.ok(errors <= 8, `${errors} Redis commands failed before the circuit opened`);
    assert.ok(elapsedMs < 2_000, `40 requests took ${elapsedMs.toFixed(0)} ms`);
  });
});
