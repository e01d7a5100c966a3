import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  bodyPicker,
  loadProfile,
  parseDuration,
  parseStages,
  targetVUs,
} from '../../src/load/profile.js';
import { runLoad, type LoadResult } from '../../src/load/run-load.js';
import { RedisServer, skipWithoutRedis } from '../../devkit/redis-server.js';
import { exited, freePort, startService, waitUntilUp } from '../../devkit/child-service.js';

describe('the load profile (src/load/profile.json)', () => {
  test('reads k6 durations and stages', () => {
    assert.equal(parseDuration('7m'), 420_000);
    assert.equal(parseDuration('1m30s'), 90_000);
    assert.equal(parseDuration('250ms'), 250);
    assert.throws(() => parseDuration('7 minutes'), /not a duration/);
    assert.deepEqual(parseStages('5s:10,1s:0'), [
      { durationMs: 5000, target: 10 },
      { durationMs: 1000, target: 0 },
    ]);
  });

  test('is the course profile: 1 → 10 users over 30 s, 10 for 7 min, down over 3 min', () => {
    const profile = loadProfile();
    assert.deepEqual(
      profile.stages.map((s) => [s.durationMs, s.target]),
      [
        [30_000, 10],
        [420_000, 10],
        [180_000, 0],
      ],
    );
    assert.equal(targetVUs(profile, 0), 1);
    assert.equal(targetVUs(profile, 15_000), 6); // halfway up the ramp: 1 + 9 / 2, rounded
    assert.equal(targetVUs(profile, 200_000), 10);
    assert.equal(targetVUs(profile, 540_000), 5); // halfway down
    assert.equal(targetVUs(profile, 630_000), 0);
    assert.equal(loadProfile({ timeScale: 0.1 }).stages[1]?.durationMs, 42_000);
  });

  test('sends the three repeated texts 95% of the time, else the ten sentences shuffled', () => {
    const profile = loadProfile();
    const pick = bodyPicker(profile);
    const bodies = Array.from({ length: 4000 }, pick);
    const shuffled = bodies.filter((b) => b.texts !== 3);
    assert.ok(shuffled.length > 120 && shuffled.length < 280, `${shuffled.length} of 4000`);
    for (const body of shuffled) {
      const texts = (JSON.parse(body.json) as { text: string[] }).text;
      assert.deepEqual([...texts].sort(), [...profile.shuffledTexts].sort());
    }
    assert.ok(new Set(shuffled.map((b) => b.json)).size > 1, 'every shuffle the same');
  });
});

describe('the load profile against the service with Redis', { skip: skipWithoutRedis() }, () => {
  let redis: RedisServer;
  let service: ReturnType<typeof startService>;
  let result: LoadResult;

  before(async () => {
    redis = await RedisServer.start();
    const port = await freePort();
    // x-cache-hits is opt-in; the runner reads the cache hit ratio from it.
    service = startService({
      PORT: String(port),
      REDIS_URL: redis.url,
      LOG_LEVEL: 'warn',
      CACHE_HITS_HEADER: '1',
    });
    await waitUntilUp(`http://127.0.0.1:${port}/health`);
    // Short stages keep this light on a 2-core CI runner: 1 → 4 users, hold, ramp down.
    result = await runLoad({
      baseUrl: `http://127.0.0.1:${port}`,
      profile: loadProfile({ stages: parseStages('2s:4,5s:4,1s:0') }),
      maxRequests: 200_000,
      warmUpMs: 2000,
    });
  });
  after(async () => {
    if (service.exitCode === null) service.kill('SIGKILL');
    await redis?.stop();
  });

  test('every request succeeds with a well-formed answer, one row per text', () => {
    assert.equal(result.errorCount, 0, JSON.stringify(result.errors));
    assert.ok(result.predict.count > 200, `only ${result.predict.count} /predict requests`);
    assert.ok(result.shuffledShare > 0 && result.shuffledShare < 0.2, `${result.shuffledShare}`);
  });

  test('each iteration is GET /health then POST /predict, and every user ends its iteration', () => {
    assert.equal(result.endedGracefully, true);
    assert.equal(result.health.count, result.predict.count);
    assert.equal(result.iterations, result.predict.count);
    assert.equal(result.maxVUs, 4);
    assert.ok((result.series[0]?.vus ?? 0) < 4, 'the ramp should start below 4 users');
  });

  test('after warm-up the cache answers more than 90% of the texts', () => {
    assert.ok(result.cacheHitRatioAfterWarmUp > 0.9, `${result.cacheHitRatioAfterWarmUp}`);
    const memory = result.cacheLookups.memory;
    assert.ok(memory && memory.hitRatio > 0.9, JSON.stringify(result.cacheLookups));
    assert.ok(result.eventLoop && result.eventLoop.p99Ms > 0, 'no event-loop metrics scraped');
  });

  test('the service then stops cleanly on SIGTERM', async () => {
    service.kill('SIGTERM');
    assert.equal(await exited(service), 0, service.output());
  });
});
