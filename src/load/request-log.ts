/** The two requests of an iteration. */
export type Endpoint = 'health' | 'predict';

/** Latency percentiles in ms of a set of requests. */
export interface LatencySummary {
  readonly count: number;
  readonly failed: number;
  readonly meanMs: number;
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly p95Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

/** One second of the run: what completed in it. */
export interface SeriesPoint {
  /** Seconds since the run started (the bucket [t, t+1)). */
  readonly t: number;
  readonly vus: number;
  readonly predictPerS: number;
  readonly healthPerS: number;
  readonly failed: number;
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly p99Ms: number;
  /** Texts answered from cache / texts sent, of the /predict answers completed in this second. */
  readonly hitRatio: number;
}

/** Nearest-rank percentile of an ascending array; NaN when empty. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] as number;
}

/** Percentiles of some latencies (ms), in any order. */
export function summarize(latencies: readonly number[], failed = 0): LatencySummary {
  const sorted = Float64Array.from(latencies).sort();
  const sum = latencies.reduce((a, b) => a + b, 0);
  return {
    count: latencies.length,
    failed,
    meanMs: latencies.length ? sum / latencies.length : Number.NaN,
    p50Ms: percentile(sorted, 50),
    p90Ms: percentile(sorted, 90),
    p95Ms: percentile(sorted, 95),
    p99Ms: percentile(sorted, 99),
    maxMs: sorted.length ? (sorted[sorted.length - 1] as number) : Number.NaN,
  };
}

/**
 * Every request of a run, column by column (plain number arrays stay packed doubles in V8,
 * ~40 bytes a request), plus error counts by kind. The runner bounds how many it holds.
 */
export class RequestLog {
  readonly predict: boolean[] = [];
  /** Start, ms since the run began (from process.hrtime). */
  readonly startMs: number[] = [];
  readonly latencyMs: number[] = [];
  readonly ok: boolean[] = [];
  /** /predict only: texts sent and the server's x-cache-hits (NaN when absent). */
  readonly texts: number[] = [];
  readonly cacheHits: number[] = [];
  /** Each request's failure (undefined when it succeeded), for failures by phase. */
  readonly error: (string | undefined)[] = [];
  /** Failures by kind, e.g. `predict status 503`, `health ECONNRESET`, `predict malformed`. */
  readonly errors = new Map<string, number>();
  /**
   * The server's timing headers (`x-<what>-time`, in ms) of /predict answers, by header name:
   * `[startMs, value]` pairs, recorded only when the server sends them.
   */
  readonly timings = new Map<string, number[]>();
  /** Virtual users running, sampled once per second. */
  readonly vusBySecond: number[] = [];

  get size(): number {
    return this.startMs.length;
  }

  record(
    endpoint: Endpoint,
    startMs: number,
    latencyMs: number,
    error: string | undefined,
    texts = 0,
    cacheHits = Number.NaN,
  ): void {
    this.predict.push(endpoint === 'predict');
    this.startMs.push(startMs);
    this.latencyMs.push(latencyMs);
    this.ok.push(error === undefined);
    this.texts.push(texts);
    this.cacheHits.push(cacheHits);
    this.error.push(error);
    if (error !== undefined) {
      const kind = `${endpoint} ${error}`;
      this.errors.set(kind, (this.errors.get(kind) ?? 0) + 1);
    }
  }

  /** Records a server timing header's value (ms) for the request that started at `startMs`. */
  timing(header: string, startMs: number, valueMs: number): void {
    let values = this.timings.get(header);
    if (!values) this.timings.set(header, (values = []));
    values.push(startMs, valueMs);
  }

  /** Percentiles of each server timing header over requests started in [fromMs, toMs). */
  timingSummaries(fromMs = 0, toMs = Infinity): Record<string, LatencySummary> {
    const out: Record<string, LatencySummary> = {};
    for (const [header, pairs] of this.timings) {
      const values: number[] = [];
      for (let i = 0; i < pairs.length; i += 2) {
        const start = pairs[i] as number;
        if (start >= fromMs && start < toMs) values.push(pairs[i + 1] as number);
      }
      out[header] = summarize(values);
    }
    return out;
  }

  /**
   * Latency summary of one endpoint's requests that started in [fromMs, toMs) (every request,
   * failed ones included: a failure's latency is how long the client waited for it).
   */
  summary(endpoint: Endpoint, fromMs = 0, toMs = Infinity): LatencySummary {
    const want = endpoint === 'predict';
    const latencies: number[] = [];
    let failed = 0;
    for (let i = 0; i < this.size; i++) {
      const start = this.startMs[i] as number;
      if (this.predict[i] !== want || start < fromMs || start >= toMs) continue;
      latencies.push(this.latencyMs[i] as number);
      if (!this.ok[i]) failed++;
    }
    return summarize(latencies, failed);
  }

  /**
   * Share of the texts sent to /predict that the server answered from its cache (the sum of
   * x-cache-hits over texts sent), over requests started at or after `fromMs`; NaN when the
   * server sends no such header (the no-op server).
   */
  cacheHitRatio(fromMs = 0, toMs = Infinity): number {
    let texts = 0;
    let hits = 0;
    for (let i = 0; i < this.size; i++) {
      const start = this.startMs[i] as number;
      if (!this.predict[i] || !this.ok[i] || start < fromMs || start >= toMs) continue;
      texts += this.texts[i] as number;
      hits += this.cacheHits[i] as number;
    }
    return texts === 0 ? Number.NaN : hits / texts;
  }

  /** Failures by kind among requests started in [fromMs, toMs). */
  errorsBetween(fromMs = 0, toMs = Infinity): Record<string, number> {
    const out: Record<string, number> = {};
    for (let i = 0; i < this.size; i++) {
      const kind = this.error[i];
      const start = this.startMs[i] as number;
      if (kind === undefined || start < fromMs || start >= toMs) continue;
      const key = `${this.predict[i] ? 'predict' : 'health'} ${kind}`;
      out[key] = (out[key] ?? 0) + 1;
    }
    return out;
  }

  /** Requests (both endpoints) started in [fromMs, toMs). */
  countBetween(fromMs = 0, toMs = Infinity): number {
    let n = 0;
    for (const start of this.startMs) if (start >= fromMs && start < toMs) n++;
    return n;
  }

  /** Per-second throughput and /predict latency percentiles, by completion time. */
  series(): SeriesPoint[] {
    type Bucket = {
      predict: number[];
      health: number;
      failed: number;
      texts: number;
      hits: number;
    };
    const seconds = new Map<number, Bucket>();
    let last = this.vusBySecond.length - 1;
    for (let i = 0; i < this.size; i++) {
      const t = Math.floor(((this.startMs[i] as number) + (this.latencyMs[i] as number)) / 1000);
      last = Math.max(last, t);
      let bucket = seconds.get(t);
      if (!bucket)
        seconds.set(t, (bucket = { predict: [], health: 0, failed: 0, texts: 0, hits: 0 }));
      if (this.predict[i]) bucket.predict.push(this.latencyMs[i] as number);
      else bucket.health++;
      if (this.predict[i] && this.ok[i]) {
        bucket.texts += this.texts[i] as number;
        bucket.hits += this.cacheHits[i] as number;
      }
      if (!this.ok[i]) bucket.failed++;
    }
    const points: SeriesPoint[] = [];
    for (let t = 0; t <= last; t++) {
      const bucket = seconds.get(t) ?? { predict: [], health: 0, failed: 0, texts: 0, hits: 0 };
      const s = summarize(bucket.predict);
      points.push({
        t,
        vus: this.vusBySecond[t] ?? 0,
        predictPerS: bucket.predict.length,
        healthPerS: bucket.health,
        failed: bucket.failed,
        p50Ms: s.p50Ms,
        p95Ms: s.p95Ms,
        p99Ms: s.p99Ms,
        hitRatio: bucket.texts ? bucket.hits / bucket.texts : Number.NaN,
      });
    }
    return points;
  }
}
