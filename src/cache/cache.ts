import { createHash } from 'node:crypto';

/** Class probabilities for one text, in class-id order. */
export type Scores = readonly number[];

/** Counts the tiers report; metrics.ts implements them. */
export interface CacheObserver {
  hits(tier: CacheTier, count: number): void;
  misses(tier: CacheTier, count: number): void;
  error(tier: CacheTier): void;
  /** Entries found but not usable (malformed, wrong class count, not probabilities): misses. */
  rejected(tier: CacheTier, count: number): void;
  /** The tier's circuit breaker opened (the tier is skipped) or closed again. */
  circuit(tier: CacheTier, open: boolean): void;
}

export type CacheTier = 'memory' | 'redis';

/**
 * What the cache holds for one text: its scores and its feature vector (the monitor's view
 * of it, src/monitoring/types.ts `FeatureVector`), so a hit is observed by replaying the
 * vector, without tokenizing or running anything again. `features` is empty when the monitor
 * is off; its length is fixed for one cache (EntryShape).
 */
export interface CacheEntry {
  readonly scores: Scores;
  readonly features: readonly number[];
}

/** What every entry of one cache holds: `classes` scores and `features` feature values. */
export interface EntryShape {
  readonly classes: number;
  readonly features: number;
}

/** One tier of the result cache. Lookups never throw: a failing tier reports misses. */
export interface CacheTierStore {
  readonly tier: CacheTier;
  /** One lookup for all keys (one round trip for Redis); undefined where absent. */
  getMany(keys: readonly string[]): Promise<(CacheEntry | undefined)[]>;
  /** Stores results; callers do not wait for it, so it must not reject. */
  setMany(entries: readonly (readonly [string, CacheEntry])[]): Promise<void>;
  close(): Promise<void>;
}

/** `value` as `classes` probabilities, each in [0, 1], summing to 1; else undefined. */
function checkScores(value: unknown, classes: number): Scores | undefined {
  if (!Array.isArray(value) || value.length !== classes) return undefined;
  let sum = 0;
  for (const p of value) {
    if (typeof p !== 'number' || !(p >= 0 && p <= 1)) return undefined;
    sum += p;
  }
  return Math.abs(sum - 1) <= 1e-6 ? (value as Scores) : undefined;
}

/** A stored entry as Redis holds it: JSON `[scores, features]` (compact; doubles exact). */
export function serializeEntry(entry: CacheEntry): string {
  return JSON.stringify([entry.scores, entry.features]);
}

/**
 * A stored value checked before it is served: JSON `[scores, features]`, the scores
 * `shape.classes` probabilities, each in [0, 1], summing to 1, and the features
 * `shape.features` finite numbers. Anything else (another version's format, such as the bare
 * score list entries held before the monitor, a foreign writer, a corrupted entry) is
 * undefined, a miss: never a 500, never a wrong answer, never a wrong observation.
 */
export function parseEntry(raw: string, shape: EntryShape): CacheEntry | undefined {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (!Array.isArray(value) || value.length !== 2) return undefined;
  const scores = checkScores(value[0], shape.classes);
  const features: unknown = value[1];
  if (scores === undefined || !Array.isArray(features) || features.length !== shape.features)
    return undefined;
  for (const x of features) if (typeof x !== 'number' || !Number.isFinite(x)) return undefined;
  return { scores, features: features as number[] };
}

/**
 * The cache key of one text: a hash of everything that decides its scores — the model
 * (resolved revision or graph digest, dtype) and the preprocessing (max length) — and the
 * text itself, so a new model never serves an old model's scores.
 */
export function cacheKey(modelFingerprint: string, text: string): string {
  return createHash('sha256')
    .update(modelFingerprint)
    .update('\0')
    .update(text)
    .digest('base64url');
}

/** What the classifier reads results from and writes them to, whatever the tiers behind it. */
export interface ResultCache {
  /** The entry of each text, or undefined where the cache has none. Never rejects. */
  getMany(texts: readonly string[]): Promise<(CacheEntry | undefined)[]>;
  /** Stores fresh results in the background; never awaited by a response. */
  setMany(entries: readonly (readonly [string, CacheEntry])[]): void;
  close(): Promise<void>;
}

/** Past this length a text's memory-tier key is its hash, not the text itself. */
export const MEMORY_KEY_MAX_CHARS = 1024;

/**
 * The memory tier's key for a text: the text, or for a long one `#` and its sha256 (a short
 * text of that exact form would need a sha256 preimage to collide).
 */
function memoryKey(text: string): string {
  return text.length <= MEMORY_KEY_MAX_CHARS
    ? text
    : `#${createHash('sha256').update(text).digest('base64url')}`;
}

/**
 * The two tiers in front of the model: the in-process LRU first, then Redis, whose hits are
 * copied into memory. Callers speak in texts. The memory tier belongs to one model for the
 * life of the process, so it is keyed by the text itself (no hashing on the hot path), but
 * for texts longer than MEMORY_KEY_MAX_CHARS, whose key would cost more memory than their
 * entry (a 4 MB text would fill an eighth of the default tier): those are keyed by their
 * hash. Redis is shared across replicas and model versions, so its key is
 * `cacheKey(fingerprint, text)`.
 * Writes go to both tiers and are never awaited by a response.
 */
export class TieredCache implements ResultCache {
  /** Redis writes waiting for the end of this turn of the event loop. */
  private redisWrites: (readonly [string, CacheEntry])[] = [];

  constructor(
    private readonly memory: CacheTierStore | undefined,
    private readonly redis: CacheTierStore | undefined,
    /** Identifies the model and preprocessing in every Redis key. */
    private readonly fingerprint: string,
  ) {}

  /** The entry of each text, or undefined where neither tier has it. */
  async getMany(texts: readonly string[]): Promise<(CacheEntry | undefined)[]> {
    const found: (CacheEntry | undefined)[] = this.memory
      ? await this.memory.getMany(texts.map(memoryKey))
      : new Array<CacheEntry | undefined>(texts.length).fill(undefined);
    if (!this.redis) return found;
    const missing: number[] = [];
    found.forEach((entry, index) => {
      if (entry === undefined) missing.push(index);
    });
    if (missing.length === 0) return found;
    const values = await this.redis.getMany(
      missing.map((index) => cacheKey(this.fingerprint, texts[index] as string)),
    );
    const promote: [string, CacheEntry][] = [];
    values.forEach((entry, j) => {
      if (entry === undefined) return;
      const index = missing[j] as number;
      found[index] = entry;
      promote.push([memoryKey(texts[index] as string), entry]);
    });
    if (promote.length > 0 && this.memory) void this.memory.setMany(promote);
    return found;
  }

  /**
   * Stores fresh results in every tier, in the background. Results arrive text by text as
   * batches finish; Redis gets them as one pipeline per turn of the event loop, not one
   * round trip per text.
   */
  setMany(entries: readonly (readonly [string, CacheEntry])[]): void {
    if (entries.length === 0) return;
    if (this.memory) {
      void this.memory.setMany(entries.map(([text, entry]) => [memoryKey(text), entry] as const));
    }
    if (!this.redis) return;
    if (this.redisWrites.length === 0) setImmediate(() => void this.flushRedis());
    for (const [text, entry] of entries) {
      this.redisWrites.push([cacheKey(this.fingerprint, text), entry]);
    }
  }

  private async flushRedis(): Promise<void> {
    const writes = this.redisWrites;
    this.redisWrites = [];
    if (writes.length > 0) await this.redis?.setMany(writes);
  }

  async close(): Promise<void> {
    await this.flushRedis();
    await Promise.all([this.memory?.close(), this.redis?.close()]);
  }
}
