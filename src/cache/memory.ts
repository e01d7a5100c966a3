import { LRUCache } from 'lru-cache';
import type { CacheEntry, CacheObserver, CacheTierStore } from './cache.js';

/**
 * Rough bytes one entry holds: key string, the entry object and its two arrays of doubles,
 * and the LRU's own bookkeeping.
 */
function entryBytes(key: string, entry: CacheEntry): number {
  return key.length * 2 + (entry.scores.length + entry.features.length) * 8 + 160;
}

/** The in-process tier: an LRU bounded in bytes (CACHE_MEMORY_BYTES), TTL as Redis's. */
export class MemoryCache implements CacheTierStore {
  readonly tier = 'memory' as const;
  private readonly lru: LRUCache<string, CacheEntry>;

  constructor(
    maxBytes: number,
    ttlSeconds: number,
    private readonly observer?: CacheObserver,
  ) {
    this.lru = new LRUCache<string, CacheEntry>({
      maxSize: maxBytes,
      sizeCalculation: (entry, key) => entryBytes(key, entry),
      ...(ttlSeconds > 0 ? { ttl: ttlSeconds * 1000, ttlAutopurge: false } : {}),
    });
  }

  async getMany(keys: readonly string[]): Promise<(CacheEntry | undefined)[]> {
    const values = keys.map((key) => this.lru.get(key));
    const hits = values.filter((value) => value !== undefined).length;
    this.observer?.hits('memory', hits);
    this.observer?.misses('memory', keys.length - hits);
    return values;
  }

  async setMany(entries: readonly (readonly [string, CacheEntry])[]): Promise<void> {
    for (const [key, entry] of entries) this.lru.set(key, entry);
  }

  async close(): Promise<void> {
    this.lru.clear();
  }
}
