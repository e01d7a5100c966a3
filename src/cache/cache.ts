import { createHash } from 'node:crypto';

/** Class probabilities for one text, in class-id order. */
export type Scores = readonly number[];

/** Counts the tiers report; metrics.ts implements them. */
export interface CacheObserver {
  hits(tier: CacheTier, count: number): void;
  misses(tier: CacheTier, count: number): void;
  error(tier: CacheTier): void;
}

export type CacheTier = 'memory' | 'redis';

/** One tier of the result cache. Lookups never throw: a failing tier reports misses. */
export interface CacheTierStore {
  readonly tier: CacheTier;
  /** One lookup for all keys (one round trip for Redis); undefined where absent. */
  getMany(keys: readonly string[]): Promise<(Scores | undefined)[]>;
  /** Stores results; callers do not wait for it, so it must not reject. */
  setMany(entries: readonly (readonly [string, Scores])[]): Promise<void>;
  close(): Promise<void>;
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

/**
 * The two tiers in front of the model: the in-process LRU first, then Redis, whose hits are
 * copied into memory. Writes go to both tiers and are never awaited by a response.
 */
export class TieredCache {
  constructor(private readonly tiers: readonly CacheTierStore[]) {}

  /** Looks keys up tier by tier; returns the scores found and how many came from each tier. */
  async getMany(keys: readonly string[]): Promise<(Scores | undefined)[]> {
    const found: (Scores | undefined)[] = new Array(keys.length).fill(undefined);
    let missing = keys.map((_, index) => index);
    for (let t = 0; t < this.tiers.length && missing.length > 0; t++) {
      const tier = this.tiers[t] as CacheTierStore;
      const values = await tier.getMany(missing.map((index) => keys[index] as string));
      const promote: [string, Scores][] = [];
      const stillMissing: number[] = [];
      values.forEach((value, j) => {
        const index = missing[j] as number;
        if (value === undefined) {
          stillMissing.push(index);
        } else {
          found[index] = value;
          if (t > 0) promote.push([keys[index] as string, value]);
        }
      });
      if (promote.length > 0)
        void Promise.all(this.tiers.slice(0, t).map((upper) => upper.setMany(promote)));
      missing = stillMissing;
    }
    return found;
  }

  /** Stores fresh results in every tier, in the background. */
  setMany(entries: readonly (readonly [string, Scores])[]): void {
    if (entries.length === 0) return;
    for (const tier of this.tiers) void tier.setMany(entries);
  }

  async close(): Promise<void> {
    await Promise.all(this.tiers.map((tier) => tier.close()));
  }
}
