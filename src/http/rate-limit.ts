import rateLimit, { normalizeIP } from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest, onRequestHookHandler } from 'fastify';
import { RateLimitedError } from '../errors.js';
import { breakerStore, type RateLimitStoreObserver } from './rate-limit-store.js';

/**
 * The Redis client the limiter counts in: an ioredis client, made by `openRedisClient` in
 * cache/redis.ts (the one importer of ioredis) and handed over by service.ts. This is the
 * part @fastify/rate-limit's Redis store calls (it defines its Lua scripts as commands).
 */
export interface RateLimitRedis {
  defineCommand(name: string, definition: { lua: string; numberOfKeys?: number }): void;
  /** ioredis's connection status: counted in Redis only when `ready` (redis-circuit.ts). */
  readonly status: string;
}

/** What the limiter needs: the budget, and where to count it. */
export interface RateLimitOptions {
  /** Requests per client per minute (RATE_LIMIT_PER_MINUTE, > 0). */
  readonly perMinute: number;
  /** Counted in Redis when set, so every replica sees one budget; else in this process. */
  readonly redis: RateLimitRedis | undefined;
  /** REDIS_CIRCUIT_RESET_MS: how long a failing Redis is skipped before it is probed. */
  readonly circuitResetMs: number;
  /** Told of the Redis circuit's changes and where each request was counted. */
  readonly observer: RateLimitStoreObserver;
}

/**
 * Whom a request is counted against: its API key's name when keys are on (auth.ts runs
 * first), else its address (`request.ip`, the forwarded one: trustProxy is on), an IPv6
 * address as its /64, which one host usually holds whole.
 */
function clientKey(request: FastifyRequest): string {
  return request.apiClient !== undefined
    ? `key:${request.apiClient}`
    : `ip:${normalizeIP(request.ip, 64)}`;
}

/**
 * Registers @fastify/rate-limit and returns the `onRequest` hook the model routes run after
 * authentication: one budget per client across all model routes, a fixed one-minute window
 * (Redis: one INCR + PEXPIRE script per request, keys `<REDIS_KEY_PREFIX>ratelimit:<client>`).
 * Over budget: 429 `rate_limited` with Retry-After and x-ratelimit-limit/-remaining/-reset;
 * every answer under budget carries the x-ratelimit-* headers too. A Redis that is down or
 * hung is skipped behind a circuit breaker and the request counted in this process instead
 * (rate-limit-store.ts): the limiter protects the service and must never be the reason it
 * fails or slows down.
 */
export async function registerRateLimit(
  app: FastifyInstance,
  options: RateLimitOptions,
): Promise<onRequestHookHandler> {
  const shared = options.redis
    ? breakerStore({
        redis: options.redis,
        nameSpace: 'ratelimit:',
        resetMs: options.circuitResetMs,
        localClients: LOCAL_CLIENTS,
        observer: options.observer,
      })
    : undefined;
  if (shared) app.addHook('onClose', async () => shared.shutdown());
  await app.register(rateLimit, {
    // Only the routes access.ts hands this hook to are limited; probes and docs are not.
    global: false,
    max: options.perMinute,
    timeWindow: 60_000,
    keyGenerator: clientKey,
    // The breaker store never errs; the in-process store cannot.
    skipOnError: true,
    cache: LOCAL_CLIENTS,
    ...(shared ? { store: shared.Store } : {}),
    errorResponseBuilder: (_request, context) =>
      new RateLimitedError(context.max, Math.max(1, Math.ceil(context.ttl / 1000))),
  });
  return app.rateLimit();
}

/**
 * Clients counted in this process at once (an LRU, twice @fastify/rate-limit's default of
 * 5,000): a client evicted by 10,000 others starts a fresh window; about 1 MiB at most.
 */
const LOCAL_CLIENTS = 10_000;
