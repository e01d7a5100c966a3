import { Redis } from 'ioredis';
import type CircuitBreaker from 'opossum';
import { redisCircuit, redisReady } from '../redis-circuit.js';
import {
  parseEntry,
  serializeEntry,
  type CacheEntry,
  type CacheObserver,
  type CacheTierStore,
  type EntryShape,
} from './cache.js';

/** What the Redis tier needs: where, how long results live, and how long a command may take. */
export interface RedisCacheOptions {
  readonly url: string;
  /** 0 stores without expiry. */
  readonly ttlSeconds: number;
  /** A slower Redis counts as a miss rather than holding up the response. */
  readonly commandTimeoutMs: number;
  readonly keyPrefix: string;
  /** What an entry holds (class count, feature count): a stored value of another shape is refused. */
  readonly shape: EntryShape;
  /** How long the circuit stays open before one command probes Redis again. */
  readonly circuitResetMs: number;
}

/** Logs a line once per change of state, so a flapping Redis cannot flood the log. */
export type StateLogger = (state: 'up' | 'down', detail: string) => void;

/** Where a client connects, what it puts before every key, and how long a command may take. */
export type RedisClientOptions = Pick<RedisCacheOptions, 'url' | 'keyPrefix' | 'commandTimeoutMs'>;

/**
 * A Redis client with this service's policy, for the cache tier below and for whatever else
 * shares the Redis (the rate limiter, http/rate-limit.ts, which service.ts hands one): commands
 * fail fast while disconnected (no offline queue, no retries) and never wait past the command
 * timeout; the client reconnects by itself. With `logState`, its changes of state are logged
 * once each (the cache tier logs its own).
 */
export function openRedisClient(options: RedisClientOptions, logState?: StateLogger): Redis {
  const client = new Redis(options.url, {
    keyPrefix: options.keyPrefix,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: options.commandTimeoutMs,
    connectTimeout: 2_000,
    // Back off to at most 2 s between reconnects, forever: Redis coming back is the normal case.
    retryStrategy: (attempt) => Math.min(attempt * 100, 2_000),
  });
  if (logState) {
    let state: 'up' | 'down' | undefined;
    const transition = (next: 'up' | 'down', detail: string): void => {
      if (state !== next) logState(next, detail);
      state = next;
    };
    client.on('ready', () => transition('up', `connected to ${redact(options.url)}`));
    client.on('error', (error: Error) => transition('down', error.message));
    client.on('close', () => transition('down', 'connection closed'));
  }
  return client;
}

/**
 * The shared tier (the only importer of ioredis, as fastify-redis is the one door to Redis).
 * Commands fail fast while disconnected (no offline queue) and the client reconnects by
 * itself; every failure is a miss, counted and never thrown, so Redis down never fails a request.
 *
 * A Redis that hangs (connected, answering nothing) would cost every request its command
 * timeout. So every command goes through a circuit breaker (redis-circuit.ts): when half the
 * commands of the last 10 s fail, or four in a row, the circuit opens and Redis is skipped (all
 * misses, no command sent, nothing piling up) for REDIS_CIRCUIT_RESET_MS; then one command
 * probes it, and its success closes the circuit. Each change is logged once.
 */
export class RedisCache implements CacheTierStore {
  readonly tier = 'redis' as const;
  private readonly client: Redis;
  private state: 'up' | 'down' | 'starting' = 'starting';
  /** The circuit's last logged state (circuitChanged). */
  private circuitLogged: 'open' | 'closed' = 'closed';
  private readonly breaker: CircuitBreaker<[() => Promise<unknown>], unknown>;

  constructor(
    private readonly options: RedisCacheOptions,
    private readonly logState: StateLogger,
    private readonly observer?: CacheObserver,
  ) {
    this.client = openRedisClient(options);
    this.breaker = redisCircuit(
      (command: () => Promise<unknown>) => command(),
      options.circuitResetMs,
    );
    this.breaker.on('open', () => {
      this.observer?.circuit('redis', true);
      this.circuitChanged(
        'open',
        `circuit open: Redis is failing or hung; skipped for ${options.circuitResetMs} ms, then probed`,
      );
    });
    this.breaker.on('close', () => {
      this.observer?.circuit('redis', false);
      this.circuitChanged('closed', 'circuit closed: Redis answers again');
    });
    this.client.on('ready', () => this.transition('up', `connected to ${redact(options.url)}`));
    this.client.on('error', (error: Error) => this.transition('down', error.message));
    this.client.on('close', () => this.transition('down', 'connection closed'));
  }

  async getMany(keys: readonly string[]): Promise<(CacheEntry | undefined)[]> {
    if (keys.length === 0) return [];
    if (!redisReady(this.client)) {
      // Not connected (yet, or any more): no command, no circuit (redis-circuit.ts says why).
      // Still an error of the tier, and a miss.
      this.observer?.error('redis');
      this.observer?.misses('redis', keys.length);
      return keys.map(() => undefined);
    }
    try {
      const raw = (await this.breaker.fire(() => this.client.mget(...keys))) as (string | null)[];
      let rejected = 0;
      const values = raw.map((value) => {
        if (value === null) return undefined;
        const entry = parseEntry(value, this.options.shape);
        if (entry === undefined) rejected++;
        return entry;
      });
      const hits = values.filter((value) => value !== undefined).length;
      if (rejected > 0) this.observer?.rejected('redis', rejected);
      this.observer?.hits('redis', hits);
      this.observer?.misses('redis', keys.length - hits);
      return values;
    } catch {
      // An open circuit sent nothing: a miss, not another error.
      if (!this.breaker.opened) this.observer?.error('redis');
      this.observer?.misses('redis', keys.length);
      return keys.map(() => undefined);
    }
  }

  async setMany(entries: readonly (readonly [string, CacheEntry])[]): Promise<void> {
    if (entries.length === 0 || !redisReady(this.client) || this.breaker.opened) return;
    const pipeline = this.client.pipeline();
    for (const [key, entry] of entries) {
      // JSON keeps every double exactly, so a hit returns byte for byte what the miss did.
      const value = serializeEntry(entry);
      if (this.options.ttlSeconds > 0) pipeline.set(key, value, 'EX', this.options.ttlSeconds);
      else pipeline.set(key, value);
    }
    try {
      await this.breaker.fire(async () => {
        // A pipeline resolves even when its commands fail; the circuit must see them fail.
        const failed = (await pipeline.exec())?.find(([error]) => error);
        if (failed) throw failed[0];
      });
    } catch {
      if (!this.breaker.opened) this.observer?.error('redis');
    }
  }

  async close(): Promise<void> {
    this.state = 'down';
    this.breaker.shutdown();
    this.client.removeAllListeners('close');
    try {
      await this.client.quit();
    } catch {
      this.client.disconnect();
    }
  }

  /**
   * The circuit's changes are logged apart from the connection's: a hung Redis may already
   * have logged the connection down (an error event) when the circuit opens, and the opening
   * is what an operator needs to see. A failed probe re-opens it without another line.
   */
  private circuitChanged(next: 'open' | 'closed', detail: string): void {
    if (this.circuitLogged === next) return;
    this.circuitLogged = next;
    this.logState(next === 'open' ? 'down' : 'up', detail);
  }

  private transition(next: 'up' | 'down', detail: string): void {
    if (this.state === next) return;
    const previous = this.state;
    this.state = next;
    if (next === 'up' || previous === 'up' || previous === 'starting') this.logState(next, detail);
  }
}

/** Quits a client from `openRedisClient` (its close logged no more), or drops it if quit fails. */
export async function closeRedisClient(client: Redis): Promise<void> {
  client.removeAllListeners('close');
  try {
    await client.quit();
  } catch {
    client.disconnect();
  }
}

/** The URL without its password, for logs. */
function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'redis';
  }
}
