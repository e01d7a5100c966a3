import { binIndex } from './bin-edges.js';
import type { BinLayout } from './bin-layout.js';
import type { FeatureVector } from './types.js';

/** Knobs of the live window (MONITOR_WINDOW_SECONDS, MONITOR_WINDOW_MAX_TEXTS). */
export interface WindowOptions {
  readonly windowSeconds: number;
  readonly maxTexts: number;
  /** Slots the window is kept in; it moves one slot at a time. */
  readonly slots?: number;
}

/** Slots by default: the window slides in steps of a twentieth (30 s or 250 texts by default). */
export const DEFAULT_SLOTS = 20;

/**
 * The live window: the last `windowSeconds` of traffic, at most about `maxTexts` texts, kept
 * as histograms (per slot, every feature's bins), never as texts, so its memory is
 * slots × bins numbers whatever the traffic. A slot closes when it holds maxTexts / slots
 * texts or has been open windowSeconds / slots; the oldest slot leaves when the ring wraps
 * or when its last text is older than the window. The window's own totals are kept up to
 * date as texts arrive and slots leave, so reading them costs nothing.
 */
export class SlidingWindow {
  /** Window totals per bin (every feature, flat as the layout). */
  readonly counts: Float64Array;
  /** Per-bin counts since the start, never decreasing (for the Prometheus counters). */
  readonly cumulative: Float64Array;
  private readonly slotCounts: Float64Array;
  private readonly slotTexts: Float64Array;
  private readonly slotRequests: Float64Array;
  private readonly slotFirst: Float64Array;
  private readonly slotLast: Float64Array;
  private readonly slots: number;
  private readonly slotCapacity: number;
  private readonly slotSpanMs: number;
  private readonly windowMs: number;
  /** The slot being filled; -1 before the first text. */
  private current = -1;
  private used = 0;
  private windowTexts = 0;
  private windowRequests = 0;
  /** Texts and requests ever observed. */
  textsSeen = 0;
  requestsSeen = 0;

  constructor(
    private readonly layout: BinLayout,
    options: WindowOptions,
    /** Milliseconds since the epoch. */
    private readonly clock: () => number,
  ) {
    this.slots = Math.max(1, options.slots ?? DEFAULT_SLOTS);
    this.slotCapacity = Math.max(1, Math.ceil(options.maxTexts / this.slots));
    this.windowMs = options.windowSeconds * 1000;
    this.slotSpanMs = this.windowMs / this.slots;
    this.counts = new Float64Array(layout.totalBins);
    this.cumulative = new Float64Array(layout.totalBins);
    this.slotCounts = new Float64Array(layout.totalBins * this.slots);
    this.slotTexts = new Float64Array(this.slots);
    this.slotRequests = new Float64Array(this.slots);
    this.slotFirst = new Float64Array(this.slots);
    this.slotLast = new Float64Array(this.slots);
  }

  /** Texts in the window now (after dropping what has aged out). */
  get texts(): number {
    this.expire(this.clock());
    return this.windowTexts;
  }

  /** Requests in the window now. */
  get requests(): number {
    this.expire(this.clock());
    return this.windowRequests;
  }

  /** When the oldest text in the window arrived (ms since the epoch); undefined when empty. */
  get startedAt(): number | undefined {
    this.expire(this.clock());
    if (this.used === 0) return undefined;
    return this.slotFirst[this.oldest()];
  }

  /** One request's texts. O(features × log bins) per text; allocates nothing. */
  observe(vectors: readonly FeatureVector[]): void {
    const now = this.clock();
    this.expire(now);
    const slot = this.slotFor(now, vectors.length);
    const { layout, counts, cumulative, slotCounts } = this;
    const base = slot * layout.totalBins;
    const features = layout.textFeatures;
    for (const vector of vectors) {
      const known = Math.min(features, vector.length);
      for (let f = 0; f < known; f++) {
        const bin =
          (layout.binStart[f] as number) +
          binIndex(
            layout.edges,
            vector[f] as number,
            layout.edgeStart[f] as number,
            layout.edgeCount[f] as number,
          );
        bump(slotCounts, base + bin);
        bump(counts, bin);
        bump(cumulative, bin);
      }
    }
    if (layout.perRequest) {
      const request =
        (layout.binStart[features] as number) +
        binIndex(
          layout.edges,
          vectors.length,
          layout.edgeStart[features] as number,
          layout.edgeCount[features] as number,
        );
      bump(slotCounts, base + request);
      bump(counts, request);
      bump(cumulative, request);
    }
    this.slotTexts[slot] = (this.slotTexts[slot] as number) + vectors.length;
    this.slotRequests[slot] = (this.slotRequests[slot] as number) + 1;
    this.slotLast[slot] = now;
    this.windowTexts += vectors.length;
    this.windowRequests++;
    this.textsSeen += vectors.length;
    this.requestsSeen++;
  }

  /** The slot a request arriving now goes in: the current one, or a fresh one. */
  private slotFor(now: number, texts: number): number {
    if (this.current >= 0) {
      const fits = (this.slotTexts[this.current] as number) + texts <= this.slotCapacity;
      const young = now - (this.slotFirst[this.current] as number) < this.slotSpanMs;
      // An empty slot takes any request, however large.
      if ((fits && young) || this.slotTexts[this.current] === 0) return this.current;
    }
    this.current = (this.current + 1) % this.slots;
    if (this.used === this.slots) this.evict(this.current);
    else this.used++;
    this.slotFirst[this.current] = now;
    return this.current;
  }

  private oldest(): number {
    return (this.current - this.used + 1 + this.slots) % this.slots;
  }

  /** Drops the slots whose last text is older than the window. */
  private expire(now: number): void {
    while (this.used > 0) {
      const oldest = this.oldest();
      if ((this.slotLast[oldest] as number) > now - this.windowMs) return;
      this.evict(oldest);
      this.used--;
      if (this.used === 0) this.current = -1;
    }
  }

  private evict(slot: number): void {
    const { totalBins } = this.layout;
    const base = slot * totalBins;
    for (let bin = 0; bin < totalBins; bin++) {
      const count = this.slotCounts[base + bin] as number;
      if (count !== 0) {
        this.counts[bin] = (this.counts[bin] as number) - count;
        this.slotCounts[base + bin] = 0;
      }
    }
    this.windowTexts -= this.slotTexts[slot] as number;
    this.windowRequests -= this.slotRequests[slot] as number;
    this.slotTexts[slot] = 0;
    this.slotRequests[slot] = 0;
  }
}

function bump(counts: Float64Array, index: number): void {
  counts[index] = (counts[index] as number) + 1;
}
