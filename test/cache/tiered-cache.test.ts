import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  cacheKey,
  parseEntry,
  serializeEntry,
  TieredCache,
  type CacheEntry,
  type CacheTierStore,
} from '../../src/cache/cache.js';
import { MemoryCache } from '../../src/cache/memory.js';

/** An entry with a made-up feature vector: the tiers carry it as they carry the scores. */
const entry = (positive: number, features: number[] = [positive * 10, 1, 0.5]): CacheEntry => ({
  scores: [1 - positive, positive],
  features,
});

/** A Redis stand-in that records calls: the point here is what TieredCache asks of its tiers. */
class RecordingTier implements CacheTierStore {
  readonly tier = 'redis' as const;
  readonly store = new Map<string, CacheEntry>();
  readonly writes: (readonly (readonly [string, CacheEntry])[])[] = [];
  readonly lookups: (readonly string[])[] = [];
  async getMany(keys: readonly string[]) {
    this.lookups.push(keys);
    return keys.map((key) => this.store.get(key));
  }
  async setMany(entries: readonly (readonly [string, CacheEntry])[]) {
    this.writes.push(entries);
    for (const [key, entry] of entries) this.store.set(key, entry);
  }
  async close() {}
}

test('results stored in one turn reach Redis as one write, under hashed keys', async () => {
  const redis = new RecordingTier();
  const cache = new TieredCache(undefined, redis, 'model-a');
  cache.setMany([['one', entry(0.9)]]);
  cache.setMany([['two', entry(0.8)]]);
  cache.setMany([['three', entry(0.7)]]);
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(redis.writes.length, 1);
  assert.deepEqual(
    redis.writes[0]?.map(([key]) => key),
    ['one', 'two', 'three'].map((text) => cacheKey('model-a', text)),
  );
});

test('memory is asked first; only its misses go to Redis, and Redis hits are copied into memory', async () => {
  const redis = new RecordingTier();
  redis.store.set(cacheKey('model-a', 'in redis'), entry(0.6));
  const memory = new MemoryCache(1 << 20, 60);
  await memory.setMany([['in memory', entry(0.5)]]);
  const cache = new TieredCache(memory, redis, 'model-a');
  assert.deepEqual(await cache.getMany(['in memory', 'in redis', 'nowhere']), [
    entry(0.5),
    entry(0.6),
    undefined,
  ]);
  assert.deepEqual(redis.lookups, [
    [cacheKey('model-a', 'in redis'), cacheKey('model-a', 'nowhere')],
  ]);
  assert.deepEqual(await memory.getMany(['in redis']), [entry(0.6)]);
});

test("a different model fingerprint never sees another model's Redis entries", async () => {
  const redis = new RecordingTier();
  new TieredCache(undefined, redis, 'model-a').setMany([['text', entry(0.9)]]);
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(await new TieredCache(undefined, redis, 'model-b').getMany(['text']), [
    undefined,
  ]);
});

test('a long text is kept in memory under its hash: its entry costs its scores, not its length', async () => {
  const memory = new MemoryCache(64 * 1024, 60);
  const cache = new TieredCache(memory, undefined, 'model-a');
  const long = 'a long review '.repeat(100_000);
  cache.setMany([[long, entry(0.7)]]);
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(await cache.getMany([long]), [entry(0.7)], 'found again, in a 64 KiB tier');
  assert.deepEqual(await cache.getMany([`${long}!`]), [undefined]);
});

test('a stored entry is read back exactly, and anything but its shape is refused as a miss', () => {
  const shape = { classes: 2, features: 3 };
  const stored = entry(0.7, [12, 0, 1 / 3]);
  assert.deepEqual(parseEntry(serializeEntry(stored), shape), stored, 'doubles kept exactly');
  assert.deepEqual(parseEntry(serializeEntry(entry(0.5, [])), { classes: 2, features: 0 }), {
    scores: [0.5, 0.5],
    features: [],
  });
  const refused = [
    '[0.3, 0.7]', // the format before the monitor: scores alone
    '[[0.3, 0.7]]',
    '[[0.3, 0.7], [1, 2]]', // another feature layout
    '[[0.3, 0.7], [1, 2, 3, 4]]',
    '[[0.3, 0.7], [1, null, 3]]',
    '[[0.3, 0.7], [1, "2", 3]]',
    '[[0.3, 0.7], {"0": 1}]',
    '[[0.3, 0.8], [1, 2, 3]]', // not a distribution
    '[[-0.3, 1.3], [1, 2, 3]]',
    '[[0.3, 0.7, 0], [1, 2, 3]]',
    '[[0.3, 0.7], [1, 2, 3], []]',
    '{"scores": [0.3, 0.7], "features": [1, 2, 3]}',
    'null',
    'not json',
    '',
  ];
  for (const raw of refused) assert.equal(parseEntry(raw, shape), undefined, raw);
  // JSON has no NaN or Infinity: a vector holding them can never be stored or read as valid.
  assert.equal(parseEntry(serializeEntry(entry(0.5, [1, NaN, 3])), shape), undefined);
});
