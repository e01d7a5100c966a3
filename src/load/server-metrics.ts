import { request } from 'undici';

/** Samples of a Prometheus text exposition: `name{labels}` → value. */
export type MetricSamples = ReadonlyMap<string, number>;

/** Parses the Prometheus text format (the subset prom-client writes: no timestamps). */
export function parseMetrics(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const cut = line.lastIndexOf(' ');
    samples.set(line.slice(0, cut), Number(line.slice(cut + 1)));
  }
  return samples;
}

/** GET /metrics, or undefined when the server has none (the no-op server) or is gone. */
export async function scrapeMetrics(baseUrl: string): Promise<MetricSamples | undefined> {
  try {
    const res = await request(new URL('/metrics', baseUrl), { headersTimeout: 5000 });
    const text = await res.body.text();
    return res.statusCode === 200 ? parseMetrics(text) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The samples of several servers added up (the replicas behind one balancer: counters and
 * histograms sum; gauges such as the event-loop delay become sums too, so read those per
 * server). Undefined when no server answered.
 */
export function sumSamples(
  scrapes: readonly (MetricSamples | undefined)[],
): MetricSamples | undefined {
  const answered = scrapes.filter((s): s is MetricSamples => s !== undefined);
  if (answered.length <= 1) return answered[0];
  const sum = new Map<string, number>();
  for (const samples of answered)
    for (const [key, value] of samples) sum.set(key, (sum.get(key) ?? 0) + value);
  return sum;
}

/**
 * Share of the texts looked up that some cache tier answered, between two scrapes: the
 * hits of every tier over the lookups of the first tier (the tier that sees every text:
 * memory, or Redis alone when the memory tier is off). NaN with no lookups.
 */
export function cacheHitShare(tiers: Record<string, TierLookups>): number {
  const all = Object.values(tiers);
  const lookups = Math.max(0, ...all.map((t) => t.hits + t.misses));
  const hits = all.reduce((sum, t) => sum + t.hits, 0);
  return lookups ? hits / lookups : Number.NaN;
}

/** A sample's growth from `before` to `after` (a counter, or a histogram's _sum/_count). */
export function growth(
  before: MetricSamples | undefined,
  after: MetricSamples | undefined,
): (key: string) => number {
  return (key) => (after?.get(key) ?? 0) - (before?.get(key) ?? 0);
}

/** Hit and miss counts of one cache tier between two scrapes. */
export interface TierLookups {
  readonly hits: number;
  readonly misses: number;
  /** hits / (hits + misses); NaN with no lookups. */
  readonly hitRatio: number;
}

const LOOKUPS = 'sentiment_cache_lookups_total';

/**
 * Per tier, the lookups counted by `sentiment_cache_lookups_total{tier,result}` between
 * `before` and `after`. A tier only sees what the tiers in front of it missed.
 */
export function cacheLookups(
  before: MetricSamples | undefined,
  after: MetricSamples | undefined,
): Record<string, TierLookups> {
  const tiers: Record<string, TierLookups> = {};
  if (!after) return tiers;
  const delta = growth(before, after);
  const names = new Set<string>();
  for (const key of after.keys()) {
    const tier = key.startsWith(`${LOOKUPS}{`) ? /tier="([^"]+)"/.exec(key)?.[1] : undefined;
    if (tier) names.add(tier);
  }
  for (const tier of names) {
    const hits = delta(`${LOOKUPS}{tier="${tier}",result="hit"}`);
    const misses = delta(`${LOOKUPS}{tier="${tier}",result="miss"}`);
    tiers[tier] = { hits, misses, hitRatio: hits + misses ? hits / (hits + misses) : Number.NaN };
  }
  return tiers;
}

/** The server's main event-loop delay, in ms, since the previous scrape. */
export interface EventLoopDelay {
  readonly meanMs: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

/**
 * prom-client's default event-loop metrics (perf_hooks.monitorEventLoopDelay, reset at every
 * scrape): scrape once before the load and once after, and the second covers the load.
 */
export function eventLoopDelay(samples: MetricSamples | undefined): EventLoopDelay | undefined {
  const get = (name: string): number =>
    (samples?.get(`sentiment_nodejs_eventloop_lag_${name}_seconds`) ?? Number.NaN) * 1000;
  if (!samples?.has('sentiment_nodejs_eventloop_lag_p99_seconds')) return undefined;
  return { meanMs: get('mean'), p99Ms: get('p99'), maxMs: get('max') };
}

/** How the batcher cut the work between two scrapes. */
export interface BatchStats {
  readonly batches: number;
  /** Texts per forward pass, mean. */
  readonly meanSize: number;
  /** Share of forward passes that carried one text. */
  readonly singles: number;
  /** Tokens computed per real token (1 = no padding). */
  readonly computedPerReal: number;
  /** Sum of forward-pass times over `seconds × workers`: how busy the workers were. */
  readonly busy: number;
  /**
   * The workers' time without a batch, per batch, in ms: under closed-loop clients, how long
   * a worker that has answered waits for texts to come back (docs/benchmarks.md, "int8").
   */
  readonly idleMsPerBatch: number;
  /** A forward pass's time, mean, in ms. */
  readonly passMs: number;
}

/** Batch statistics from `sentiment_batch_*` and `sentiment_inference_duration_seconds`. */
export function batchStats(
  before: MetricSamples | undefined,
  after: MetricSamples | undefined,
  seconds: number,
  workers: number,
): BatchStats | undefined {
  if (!after?.has('sentiment_batch_size_count')) return undefined;
  const delta = growth(before, after);
  const batches = delta('sentiment_batch_size_count');
  const real = delta('sentiment_tokens_total');
  const ran = delta('sentiment_inference_duration_seconds_sum');
  return {
    batches,
    meanSize: delta('sentiment_batch_size_sum') / batches,
    singles: delta('sentiment_batch_size_bucket{le="1"}') / batches,
    computedPerReal: (real + delta('sentiment_padding_tokens_total')) / real,
    busy: ran / (seconds * workers),
    idleMsPerBatch: ((seconds * workers - ran) * 1000) / batches,
    passMs: (ran * 1000) / batches,
  };
}
