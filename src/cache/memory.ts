import { LRUCache } from 'lru-cache';
import type { CacheObserver, CacheTierStore, Scores } from './cache.js';

/** Rough bytes one entry holds: key string, array of doubles, and the LRU's own bookkeeping. */
function entryBytes(key: string, scores: Scores): number {
  return key.length * 2 + scores.length * 8 + 96;
}

/** The in-process tier: an LRU bounded in bytes (CACHE_MEMORY_BYTES), TTL as Redis's. */
export class MemoryCache implements CacheTierStore {
  readonly tier = 'memory' as const;
  private readonly lru: LRUCache<string, Scores>;

  constructor(
    maxBytes: number,
    ttlSeconds: number,
    private readonly observer?: CacheObserver,
  ) {
    this.lru = new LRUCache<string, Scores>({
      maxSize: maxBytes,
      sizeCalculation: (scores, key) => entryBytes(key, scores),
      ...(ttlSeconds > 0 ? { ttl: ttlSeconds * 1000, ttlAutopurge: false } : {}),
    });
  }

  async getMany(keys: readonly string[]): Promise<(Scores | undefined)[]> {
    const values = keys.map((key) => this.lru.get(key));
    const hits = values.filter((value) => value !== undefined).length;
    this.observer?.hits('memory', hits);
    this.observer?.misses('memory', keys.length - hits);
    return values;
  }

  async setMany(entries: readonly (readonly [string, Scores])[]): Promise<void> {
    for (const [key, scores] of entries) this.lru.set(key, scores);
  }

  async close(): Promise<void> {
    this.lru.clear();
  }
}
