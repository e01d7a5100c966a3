import { OverloadedError } from '../errors.js';

/** The batcher's bounds on what may wait (config.ts says why each). */
export interface AdmissionOptions {
  /** QUEUE_MAX_ITEMS: texts waiting, whatever their cost. */
  readonly maxQueued: number;
  /** QUEUE_MAX_WAIT_MS (at most half of REQUEST_TIMEOUT_MS): work waiting, in ms; 0: off. */
  readonly maxWaitMs: number;
  /** The limit never goes under this many texts (one batch). */
  readonly minLimit: number;
}

/**
 * Who may join the batcher's queue. The queue holds at most maxQueued texts, and no more
 * than the workers are measured to answer within maxWaitMs, so what is accepted is answered
 * in time and the rest is refused at once. Once it refuses, it refuses everything until the
 * queue is down to LOW_WATERMARK of its limit (hysteresis): refusals come in runs that the
 * HTTP layer can answer before reading a body (http/early-refusal.ts), instead of one parsed
 * body refused per freed slot, and the half-full queue keeps the workers busy while the
 * refused clients wait their Retry-After, which says how long that drain should take.
 */
export class Admission {
  /** When the last batches cut from a non-empty queue came back, and their texts. */
  private finished: { readonly at: number; readonly rows: number }[] = [];
  private shedding = false;

  constructor(
    private readonly options: AdmissionOptions,
    private readonly now: () => number,
  ) {}

  /** A batch cut from a queue that held more came back with `rows` texts. */
  drained(rows: number): void {
    this.finished.push({ at: this.now(), rows });
    if (this.finished.length > SPEED_WINDOW) this.finished.shift();
  }

  /** The queue and the workers are idle: an idle gap is not drain time, measure afresh. */
  idle(): void {
    this.finished = [];
  }

  /**
   * Texts per ms the workers answered over the last SPEED_WINDOW batches run under load, all
   * workers together and every delay included (hand-offs, a busy event loop): the rate at
   * which the queue really drains. 0 until two such batches have come back since it was idle.
   */
  get drainRate(): number {
    const first = this.finished[0];
    const last = this.finished.at(-1);
    if (!first || !last || last.at <= first.at) return 0;
    const rows = this.finished.reduce((sum, batch) => sum + batch.rows, 0) - first.rows;
    return rows / (last.at - first.at);
  }

  /** How many texts may wait now. */
  get limit(): number {
    const { maxQueued, maxWaitMs, minLimit } = this.options;
    const rate = this.drainRate;
    if (maxWaitMs <= 0 || rate <= 0) return maxQueued;
    return Math.min(maxQueued, Math.max(minLimit, Math.floor(maxWaitMs * rate)));
  }

  /** The refusal for `count` more texts while `held` wait or are reserved; undefined: admit. */
  check(held: number, count: number): OverloadedError | undefined {
    const limit = this.limit;
    if (this.shedding && held > limit * LOW_WATERMARK) return this.refusal(held, limit);
    this.shedding = false;
    // A request larger than the wait bound would never fit it: an empty queue takes it whole.
    if (held + count <= limit || (held === 0 && count <= this.options.maxQueued)) return undefined;
    this.shedding = true;
    return this.refusal(held, limit);
  }

  /**
   * Retry-After: the estimated time, in whole seconds (at least 1), to drain to the watermark;
   * with the wait bound on, at most the part of it above the watermark (1 s for the default
   * 2 s). The queue is sized so that draining from its limit to the watermark takes that long,
   * so a longer estimate only means the drain rate dipped for a moment (a GC, a busy core) or
   * the limit fell under what was queued. Too long a wait idles the workers once the queue has
   * drained and costs goodput; too short a one costs a refusal before the body, almost nothing
   * (docs/benchmarks.md, "Overload").
   */
  private refusal(held: number, limit: number): OverloadedError {
    const rate = this.drainRate;
    const ms = rate > 0 ? (held - limit * LOW_WATERMARK) / rate : 0;
    const { maxWaitMs } = this.options;
    const ceiling =
      maxWaitMs > 0
        ? Math.max(1, Math.ceil((maxWaitMs * (1 - LOW_WATERMARK)) / 1000))
        : MAX_RETRY_AFTER_S;
    return new OverloadedError(Math.min(ceiling, Math.max(1, Math.ceil(ms / 1000))));
  }
}

/** Share of its limit the queue must drain to before a shedding queue admits again. */
const LOW_WATERMARK = 0.5;
/** Batches the drain rate is measured over. */
const SPEED_WINDOW = 32;
/**
 * Retry-After's ceiling without a wait bound, in seconds: past this a client had better try
 * another replica.
 */
const MAX_RETRY_AFTER_S = 60;
