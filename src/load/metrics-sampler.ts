import {
  cacheHitShare,
  cacheLookups,
  eventLoopDelay,
  scrapeMetrics,
  sumSamples,
  type EventLoopDelay,
  type MetricSamples,
} from './server-metrics.js';

/** The cache hit share over one scrape interval, ending `t` seconds into the run. */
export interface HitRatioPoint {
  readonly t: number;
  /** Texts some tier answered / texts looked up in the interval; NaN with no lookups. */
  readonly hitRatio: number;
  readonly lookups: number;
}

/**
 * Scrapes the servers' /metrics every so often during a run and keeps the cache hit share
 * of each interval: the hit ratio over time as the server counts it (every text, whatever
 * answered it), beside the client's own count from x-cache-hits. Scrapes are chained, so a
 * slow server never has two scrapes of this sampler open at once.
 */
export class MetricsSampler {
  private readonly points: HitRatioPoint[] = [];
  private timer: NodeJS.Timeout | undefined;
  private chain: Promise<void> = Promise.resolve();
  /**
   * The worst event-loop delay any server reported at any scrape: prom-client resets its
   * event-loop histogram at every scrape, so each scrape covers the interval before it.
   */
  worstEventLoop: EventLoopDelay | undefined;

  constructor(
    private readonly urls: readonly string[],
    private readonly now: () => number,
    private previous: MetricSamples | undefined,
  ) {}

  /** Starts scraping every `everyMs` (0: never). */
  start(everyMs: number): void {
    if (everyMs <= 0 || this.previous === undefined) return;
    this.timer = setInterval(() => {
      this.chain = this.chain.then(() => this.sample());
    }, everyMs);
  }

  /** Stops, takes a last sample and returns the series. */
  async stop(): Promise<readonly HitRatioPoint[]> {
    if (this.timer === undefined) return this.points;
    clearInterval(this.timer);
    this.timer = undefined;
    this.chain = this.chain.then(() => this.sample());
    await this.chain;
    return this.points;
  }

  private async sample(): Promise<void> {
    const scrapes = await Promise.all(this.urls.map((url) => scrapeMetrics(url)));
    // A server that did not answer (restarting) would read as counters dropping: skip it.
    if (scrapes.some((s) => s === undefined)) return;
    for (const samples of scrapes) {
      const delay = eventLoopDelay(samples);
      if (delay && delay.p99Ms > (this.worstEventLoop?.p99Ms ?? -1)) this.worstEventLoop = delay;
    }
    const current = sumSamples(scrapes);
    const tiers = cacheLookups(this.previous, current);
    const lookups = Math.max(0, ...Object.values(tiers).map((t) => t.hits + t.misses));
    this.points.push({ t: this.now() / 1000, hitRatio: cacheHitShare(tiers), lookups });
    this.previous = current;
  }
}
