import type { Config } from '../config.js';
import { TieredCache, type CacheObserver } from './cache.js';
import { MemoryCache } from './memory.js';
import { RedisCache, type StateLogger } from './redis.js';

/**
 * The result cache a Config asks for: the in-process LRU (unless CACHE_MEMORY_BYTES=0) and
 * Redis when REDIS_URL is set. `scope` identifies the model and its preprocessing in every
 * shared key, so replicas serving another model or revision never read these entries;
 * `classes` is how many scores an entry holds.
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
  classes: number,
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
          classes,
          circuitResetMs: config.redisCircuitResetMs,
        },
        logRedisState,
        observer,
      )
    : undefined;
  return new TieredCache(memory, redis, scope);
}
