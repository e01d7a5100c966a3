import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cacheKey, TieredCache, type CacheTierStore, type Scores } from '../../src/cache/cache.js';
import { MemoryCache } from '../../src/cache/memory.js';

/** A Redis stand-in that records calls: the point here is what TieredCache asks of its tiers. */
class RecordingTier implements CacheTierStore {
  readonly tier = 'redis' as const;
  readonly store = new Map<string, Scores>();
  readonly writes: (readonly (readonly [string, Scores])[])[] = [];
  readonly lookups: (readonly string[])[] = [];
  async getMany(keys: readonly string[]) {
    this.lookups.push(keys);
    return keys.map((key) => this.store.get(key));
  }
  async setMany(entries: readonly (readonly [string, Scores])[]) {
    this.writes.push(entries);
    for (const [key, scores] of entries) this.store.set(key, scores);
  }
  async close() {}
}

test('results stored in one turn reach Redis as one write, under hashed keys', async () => {
  const redis = new RecordingTier();
  const cache = new TieredCache(undefined, redis, 'model-a');
  cache.setMany([['one', [0.1, 0.9]]]);
  cache.setMany([['two', [0.2, 0.8]]]);
  cache.setMany([['three', [0.3, 0.7]]]);
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(redis.writes.length, 1);
  assert.deepEqual(
    redis.writes[0]?.map(([key]) => key),
    ['one', 'two', 'three'].map((text) => cacheKey('model-a', text)),
  );
});

test('memory is asked first; only its misses go to Redis, and Redis hits are copied into memory', async () => {
  const redis = new RecordingTier();
  redis.store.set(cacheKey('model-a', 'in redis'), [0.4, 0.6]);
  const memory = new MemoryCache(1 << 20, 60);
  await memory.setMany([['in memory', [0.5, 0.5]]]);
  const cache = new TieredCache(memory, redis, 'model-a');
  assert.deepEqual(await cache.getMany(['in memory', 'in redis', 'nowhere']), [
    [0.5, 0.5],
    [0.4, 0.6],
    undefined,
  ]);
  assert.deepEqual(redis.lookups, [
    [cacheKey('model-a', 'in redis'), cacheKey('model-a', 'nowhere')],
  ]);
  assert.deepEqual(await memory.getMany(['in redis']), [[0.4, 0.6]]);
});

test("a different model fingerprint never sees another model's Redis entries", async () => {
  const redis = new RecordingTier();
  new TieredCache(undefined, redis, 'model-a').setMany([['text', [0.1, 0.9]]]);
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(await new TieredCache(undefined, redis, 'model-b').getMany(['text']), [
    undefined,
  ]);
});

test('a long text is kept in memory under its hash: its entry costs its scores, not its length', async () => {
  const memory = new MemoryCache(64 * 1024, 60);
  const cache = new TieredCache(memory, undefined, 'model-a');
  const long = 'a long review '.repeat(100_000);
  cache.setMany([[long, [0.3, 0.7]]]);
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(await cache.getMany([long]), [[0.3, 0.7]], 'found again, in a 64 KiB tier');
  assert.deepEqual(await cache.getMany([`${long}!`]), [undefined]);
});
