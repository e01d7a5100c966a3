import { createRequire } from 'node:module';
import type { FastifyRateLimitStore, FastifyRateLimitStoreCtor } from '@fastify/rate-limit';
import { redisCircuit, redisReady } from '../redis-circuit.js';

/** One client's count in the current window, as @fastify/rate-limit's stores report it. */
interface Count {
  current: number;
  ttl: number;
}

type StoreCallback = (error: Error | null, result?: Count) => void;

/**
 * @fastify/rate-limit's own stores, reused rather than copied: the Redis one (its INCR +
 * PEXPIRE Lua script) and the in-process one (an LRU of counters). The package documents
 * them only through its `redis` and `cache` options, so they are loaded by path.
 */
const require = createRequire(import.meta.url);
const RedisStore = require('@fastify/rate-limit/store/RedisStore.js') as new (
  continueExceeding: boolean,
  exponentialBackoff: boolean,
  redis: unknown,
  key: string,
) => FastifyRateLimitStore;
const LocalStore = require('@fastify/rate-limit/store/LocalStore.js') as new (
  continueExceeding: boolean,
  exponentialBackoff: boolean,
  cache: number,
) => FastifyRateLimitStore;

/** What the limiter reports about its Redis; metrics.ts records it, service.ts logs it. */
export interface RateLimitStoreObserver {
  /** The circuit opened (Redis skipped) or closed (Redis counts again). Once per change. */
  circuit(open: boolean, detail: string): void;
  /** One request was counted: in Redis (shared by every replica) or in this process alone. */
  counted(store: 'redis' | 'local'): void;
}

/** Where and how the limiter counts in Redis. */
export interface BreakerStoreOptions {
  /** The ioredis client (commands bounded by REDIS_TIMEOUT_MS, no offline queue). */
  readonly redis: { readonly status: string };
  /** Put before the client key (the client's own REDIS_KEY_PREFIX comes first). */
  readonly nameSpace: string;
  /** REDIS_CIRCUIT_RESET_MS: how long an open circuit skips Redis before one request probes. */
  readonly resetMs: number;
  /** Clients counted in this process at once (the fallback's LRU); an evicted one restarts. */
  readonly localClients: number;
  readonly observer: RateLimitStoreObserver;
}

/**
 * A rate-limit store that counts in Redis through a circuit breaker and falls back to counting
 * in this process. ioredis bounds each command by REDIS_TIMEOUT_MS, but without a breaker a
 * hung Redis (connected, answering nothing) costs every limited request that timeout, and a
 * dead one an error per request. The same breaker as the cache tier's (redis-circuit.ts): once
 * half the commands of the last 10 s failed (at least four), or four in a row (so a hang after
 * a busy spell of successes costs four requests the timeout, not as many as there were
 * successes), the circuit opens and Redis is not asked for REDIS_CIRCUIT_RESET_MS; then one
 * request probes it, and its success closes the circuit.
 *
 * While the client is not connected (before its first connection, or Redis down) nothing is
 * sent and the circuit is not fired (redis-circuit.ts `redisReady`): the local count decides.
 *
 * Fails open, but not unlimited: every request is also counted in a local LRU (an increment
 * of a map entry), and while Redis cannot answer that count decides. A client then gets the
 * budget once per replica instead of once in all (a limit N times looser for N replicas, not
 * none), and a request is never refused or delayed because the limiter's Redis is down.
 */
export function breakerStore(options: BreakerStoreOptions): {
  readonly Store: FastifyRateLimitStoreCtor;
  /** Stops the breaker's timers (the app's onClose). */
  readonly shutdown: () => void;
} {
  const breaker = redisCircuit(
    (remote: FastifyRateLimitStore, key: string, timeWindow: number, max: number) =>
      new Promise<Count>((resolve, reject) =>
        remote.incr(
          key,
          (error, result) => (error || !result ? reject(error) : resolve(result)),
          timeWindow,
          max,
        ),
      ),
    options.resetMs,
  );
  breaker.on('open', () =>
    options.observer.circuit(
      true,
      `circuit open: Redis is failing or hung; counted per replica, probed again in ${options.resetMs} ms`,
    ),
  );
  breaker.on('close', () =>
    options.observer.circuit(false, 'circuit closed: counted in Redis again'),
  );

  class BreakerStore implements FastifyRateLimitStore {
    constructor(
      private readonly remote: FastifyRateLimitStore,
      private readonly local: FastifyRateLimitStore,
    ) {}

    incr(key: string, callback: StoreCallback, timeWindow: number, max: number): void {
      let local: Count | undefined;
      this.local.incr(key, (_error, result) => (local = result), timeWindow, max);
      if (!redisReady(options.redis)) {
        // Not connected (yet, or any more): counted here, and the circuit is not fired.
        options.observer.counted('local');
        callback(null, local);
        return;
      }
      breaker.fire(this.remote, key, timeWindow, max).then(
        (shared) => {
          options.observer.counted('redis');
          callback(null, shared);
        },
        () => {
          // A failed command or an open circuit (nothing sent): this replica's count decides.
          options.observer.counted('local');
          callback(null, local);
        },
      );
    }

    child(routeOptions: Parameters<FastifyRateLimitStore['child']>[0]): FastifyRateLimitStore {
      return new BreakerStore(this.remote.child(routeOptions), this.local.child(routeOptions));
    }
  }

  const Store = class extends BreakerStore {
    constructor() {
      super(
        new RedisStore(false, false, options.redis, options.nameSpace),
        new LocalStore(false, false, options.localClients),
      );
    }
  };
  return { Store, shutdown: () => breaker.shutdown() };
}
