import type { Config } from '../config.js';
import { TieredCache, type CacheObserver, type EntryShape } from './cache.js';
import { MemoryCache } from './memory.js';
import { RedisCache, type StateLogger } from './redis.js';

/**
 * The result cache a Config asks for: the in-process LRU (unless CACHE_MEMORY_BYTES=0) and
 * Redis when REDIS_URL is set. `scope` identifies the model and its preprocessing in every
 * shared key, so replicas serving another model or revision, or watching other features,
 * never read these entries; `shape` is how many scores and feature values an entry holds.
 */
export function openResultCache(
  config: Pick<
    Config,
    | 'cacheMemoryBytes'
    | 'cacheTtlSeconds'
    | 'redisUrl'
    | 'redisTimeoutMs'
    | 'redisKeyPrefix'
    | 'redisCircuitResetMs'
  >,
  scope: string,
  shape: EntryShape,
  observer: CacheObserver,
  logRedisState: StateLogger,
): TieredCache {
  const memory =
    config.cacheMemoryBytes > 0
      ? new MemoryCache(config.cacheMemoryBytes, config.cacheTtlSeconds, observer)
      : undefined;
  const redis = config.redisUrl
    ? new RedisCache(
        {
          url: config.redisUrl,
          ttlSeconds: config.cacheTtlSeconds,
          commandTimeoutMs: config.redisTimeoutMs,
          keyPrefix: config.redisKeyPrefix,
          shape,
          circuitResetMs: config.redisCircuitResetMs,
        },
        logRedisState,
        observer,
      )
    : undefined;
  return new TieredCache(memory, redis, scope);
}
