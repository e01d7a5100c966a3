import {
  ModelFailedError,
  OverloadedError,
  type AppError,
  RequestAbortedError,
  ShuttingDownError,
} from '../errors.js';
import { assembleBatch, type GraphKind, type TokenBatch } from '../model/token-batch.js';

/** Knobs of the dynamic batcher; defaults and reasons in config.ts. */
export interface BatcherOptions {
  readonly maxItems: number;
  readonly maxTokens: number;
  /** Under load, how long a worker that comes free may wait for a full batch. */
  readonly maxDelayMs: number;
  readonly maxQueued: number;
  /**
   * Longest estimated wait, in ms, a text may be admitted to: the texts ahead of it at the
   * workers' recent speed. Bounds the queue in work, not items, so an accepted request can
   * finish in time. 0 or absent: only maxQueued bounds it.
   */
  readonly maxWaitMs?: number;
  /** Largest share of a batch's tokens that may be padding (0–1); padded graphs only. */
  readonly maxPadding: number;
  /** What the runner's graph takes: padded rows, or packed tokens (token-batch.ts). */
  readonly graph: GraphKind;
  /** Milliseconds from any origin; `performance.now` unless a test drives time itself. */
  readonly clock?: () => number;
}

/**
 * Where batches run; the batcher's only view of inference (inference-pool.ts implements it).
 * It belongs here, with the one module that uses it.
 */
export interface BatchRunner {
  /** How many batches may run at once (one per worker). */
  readonly slots: number;
  run(batch: TokenBatch): Promise<Float32Array>;
  close(): Promise<void>;
}

/** Room for one request's texts in the queue, held while they are tokenized. */
export interface QueueReservation {
  /** Queues the texts (at most as many as reserved); once. */
  submit(
    sequences: readonly (readonly number[])[],
    signals?: readonly AbortSignal[],
  ): Promise<Float32Array>[];
  /** Gives the room back unused (tokenization failed); a no-op after submit. */
  release(): void;
}

/** Observations the batcher reports; metrics.ts implements them. */
export interface BatcherObserver {
  /** One forward pass: texts, tokens computed (padding included), real tokens, times. */
  batch(
    rows: number,
    computedTokens: number,
    realTokens: number,
    queueWaitMs: number,
    runMs: number,
  ): void;
  dropped(count: number): void;
  /** A forward pass failed; every one of its `rows` texts got `error`. Once per batch. */
  failed(rows: number, error: Error): void;
  queueDepth(items: number): void;
}

interface Item {
  readonly ids: readonly number[];
  readonly signal: AbortSignal | undefined;
  readonly enqueuedAt: number;
  readonly resolve: (logits: Float32Array) => void;
  readonly reject: (error: Error) => void;
}

/**
 * The one owner of the queue of texts waiting for the model (as TEI's `core/src/queue.rs`),
 * with two operations: `reserve` + `submit` append a request's items, and the pump cuts the next batch
 * whenever a worker is free. A batch is cut by a token budget (rows × padded length) and an
 * item count, and grouped around the oldest item by length so little of it is padding.
 */
export class Batcher {
  private queue: Item[] = [];
  private busy = 0;
  private timer: NodeJS.Timeout | undefined;
  /** When a worker last came free. */
  private freedAt = Number.NEGATIVE_INFINITY;
  private closed = false;
  private abandoned = false;
  /** Room held by callers that are still tokenizing (see reserve). */
  private reserved = 0;
  private idleWaiters: (() => void)[] = [];
  /** When the last batches cut from a non-empty queue came back, and their texts. */
  private finished: { readonly at: number; readonly rows: number }[] = [];
  /** Set when a request is refused; cleared once the queue is down to its low watermark. */
  private shedding = false;

  private readonly now: () => number;

  constructor(
    private readonly runner: BatchRunner,
    private readonly options: BatcherOptions,
    private readonly observer?: BatcherObserver,
  ) {
    this.now = options.clock ?? (() => performance.now());
  }

  /** Texts queued and not yet handed to a worker. */
  get depth(): number {
    return this.queue.length;
  }

  /**
   * Holds room in the queue for `count` texts, or refuses at once: ShuttingDownError while
   * draining, OverloadedError when they would push the queue past its limit (or it is
   * shedding; Retry-After says when it should have room). The one check of room: a caller
   * reserves before it tokenizes, so a refusal costs nothing, and what it then submits
   * always fits.
   */
  reserve(count: number): QueueReservation {
    if (this.closed) throw new ShuttingDownError();
    const overloaded = this.overload(count);
    if (overloaded) throw overloaded;
    this.reserved += count;
    let open = true;
    const release = (): void => {
      if (!open) return;
      open = false;
      this.reserved -= count;
      this.notifyIfIdle();
    };
    return {
      submit: (sequences, signals) => {
        if (!open) throw new Error('a queue reservation is used once');
        if (sequences.length > count) throw new Error('more sequences than were reserved');
        release();
        if (this.abandoned) throw new ShuttingDownError();
        return this.enqueue(sequences, signals);
      },
      release,
    };
  }

  /**
   * The refusal a request would get now, asked before anything of it is read (its size is not
   * known yet): ShuttingDownError while draining, OverloadedError while the queue is shedding
   * or has no room for one more text. undefined: let it in, reserve decides.
   */
  refusal(): AppError | undefined {
    if (this.closed) return new ShuttingDownError();
    return this.overload(1);
  }

  /**
   * How many texts may wait: maxQueued, and no more than the workers are estimated to finish
   * within maxWaitMs at their recent speed (never under one batch).
   */
  get limit(): number {
    const { maxQueued, maxWaitMs = 0, maxItems } = this.options;
    const rate = this.drainRate;
    if (maxWaitMs <= 0 || rate <= 0) return maxQueued;
    const withinWait = Math.floor(maxWaitMs * rate);
    return Math.min(maxQueued, Math.max(maxItems, withinWait));
  }

  /**
   * With hysteresis: once a request is refused, every request is refused until the queue is
   * down to LOW_WATERMARK of its limit. Refusals then come in runs that the early check can
   * answer before reading a body, instead of one parsed body refused per freed slot; and the
   * half-full queue keeps the workers busy while the refused clients come back.
   */
  private overload(count: number): OverloadedError | undefined {
    const limit = this.limit;
    const held = this.queue.length + this.reserved;
    if (this.shedding && held > limit * LOW_WATERMARK) return this.overloaded(held, limit);
    this.shedding = false;
    // A request larger than the wait bound would never fit it: an empty queue takes it whole.
    if (held + count <= limit || (held === 0 && count <= this.options.maxQueued)) return undefined;
    this.shedding = true;
    return this.overloaded(held, limit);
  }

  /** Retry-After: the estimated time, in whole seconds (at least 1), to drain to the watermark. */
  private overloaded(held: number, limit: number): OverloadedError {
    const rate = this.drainRate;
    const ms = rate > 0 ? (held - limit * LOW_WATERMARK) / rate : 0;
    return new OverloadedError(Math.min(MAX_RETRY_AFTER_S, Math.max(1, Math.ceil(ms / 1000))));
  }

  /**
   * Queues every sequence of one request at once, or none of them (reserve, then submit).
   * Resolves each to its row of logits; an aborted signal drops the item before it runs.
   */
  submit(
    sequences: readonly (readonly number[])[],
    signals?: readonly AbortSignal[],
  ): Promise<Float32Array>[] {
    return this.reserve(sequences.length).submit(sequences, signals);
  }

  /**
   * Refuses new work; queued and reserved items still run. Resolves when the queue, the
   * reservations and the workers are all idle.
   */
  async drain(): Promise<void> {
    this.closed = true;
    if (this.isIdle()) return;
    await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  /**
   * The grace period is over: every text still queued is refused with ShuttingDownError
   * (its request answers 503 at once), and so is anything submitted on a reservation from
   * now on. Batches already running finish, so no forward pass is cut off mid-run.
   */
  abandon(): void {
    this.closed = true;
    this.abandoned = true;
    const queued = this.queue;
    this.queue = [];
    for (const item of queued) item.reject(new ShuttingDownError());
    this.observer?.queueDepth(0);
    this.notifyIfIdle();
  }

  private enqueue(
    sequences: readonly (readonly number[])[],
    signals: readonly AbortSignal[] | undefined,
  ): Promise<Float32Array>[] {
    const now = this.now();
    const results = sequences.map(
      (ids, index) =>
        new Promise<Float32Array>((resolve, reject) => {
          this.queue.push({ ids, signal: signals?.[index], enqueuedAt: now, resolve, reject });
        }),
    );
    this.observer?.queueDepth(this.queue.length);
    this.pump();
    return results;
  }

  private isIdle(): boolean {
    return this.queue.length === 0 && this.busy === 0 && this.reserved === 0;
  }

  private notifyIfIdle(): void {
    if (!this.isIdle()) return;
    // An idle gap is not drain time: the rate is measured afresh under the next load.
    this.finished = [];
    if (this.idleWaiters.length === 0) return;
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  private pump(): void {
    while (this.busy < this.runner.slots) {
      this.dropAbandoned();
      if (this.queue.length === 0) {
        this.notifyIfIdle();
        return;
      }
      const wait = this.waitForCompany();
      if (wait > 0) {
        this.timer ??= setTimeout(() => {
          this.timer = undefined;
          this.pump();
        }, wait);
        return;
      }
      this.dispatch(this.cutBatch());
    }
  }

  /**
   * How long to hold a free worker back, in ms. Under load (another worker is busy) a worker
   * that has just come free waits up to maxDelayMs for a full batch: the clients of the batch
   * it finished are about to send again, and a batch of one runs at half the per-text speed
   * of a full one. An idle server never waits, so a lone request pays no delay.
   */
  private waitForCompany(): number {
    if (this.busy === 0 || this.queue.length >= this.options.maxItems) return 0;
    return this.freedAt + this.options.maxDelayMs - this.now();
  }

  private dropAbandoned(): void {
    if (!this.queue.some((item) => item.signal?.aborted)) return;
    const kept: Item[] = [];
    let dropped = 0;
    for (const item of this.queue) {
      if (item.signal?.aborted) {
        dropped++;
        item.reject(new RequestAbortedError());
      } else {
        kept.push(item);
      }
    }
    this.queue = kept;
    this.observer?.dropped(dropped);
  }

  /**
   * Takes the oldest item (so nobody starves) plus the items closest to it in length among the
   * oldest CUT_WINDOW, while rows ≤ maxItems and rows × longest ≤ maxTokens.
   */
  private cutBatch(): Item[] {
    if (this.options.graph === 'packed') return this.cutPacked();
    const oldest = this.queue[0] as Item;
    const target = oldest.ids.length;
    const window = this.queue.slice(0, Math.max(CUT_WINDOW, 4 * this.options.maxItems));
    const byCloseness = window
      .map((item, index) => ({ item, index, gap: Math.abs(item.ids.length - target) }))
      .sort((a, b) => a.gap - b.gap || a.index - b.index);
    const taken = new Set<number>();
    let longest = 0;
    let real = 0;
    for (const { item, index } of byCloseness) {
      if (taken.size >= this.options.maxItems) break;
      const length = item.ids.length;
      const padded = Math.max(longest, length) * (taken.size + 1);
      if (taken.size > 0) {
        if (padded > this.options.maxTokens) continue;
        // Padding is computed and thrown away: past the allowed share, a smaller batch is cheaper.
        if (padded - (real + length) > this.options.maxPadding * padded) continue;
      }
      taken.add(index);
      longest = Math.max(longest, length);
      real += length;
    }
    const indices = [...taken].sort((a, b) => a - b);
    const batch = indices.map((index) => this.queue[index] as Item);
    for (const index of indices.reverse()) this.queue.splice(index, 1);
    this.observer?.queueDepth(this.queue.length);
    return batch;
  }

  /**
   * A packed graph runs its projections and FFN on real tokens only (attention, a few percent
   * of the work, is padded), so lengths need not match: take the queue in arrival order while
   * the texts fit the item count and the token budget.
   */
  private cutPacked(): Item[] {
    let tokens = 0;
    let count = 0;
    for (const item of this.queue) {
      if (count >= this.options.maxItems) break;
      if (count > 0 && tokens + item.ids.length > this.options.maxTokens) break;
      tokens += item.ids.length;
      count++;
    }
    const batch = this.queue.slice(0, count);
    this.queue = this.queue.slice(count);
    this.observer?.queueDepth(this.queue.length);
    return batch;
  }

  private dispatch(items: Item[]): void {
    const { batch, realTokens, computedTokens } = assembleBatch(this.options.graph, items);
    const startedAt = this.now();
    // Only a batch cut from a queue that had more says how fast the workers drain one.
    const underLoad = this.queue.length > 0 || items.length >= this.options.maxItems;
    const queueWaitMs = startedAt - Math.min(...items.map((item) => item.enqueuedAt));
    this.busy++;
    this.runner
      .run(batch)
      .then((logits) => {
        if (underLoad) this.learnSpeed(items.length);
        const classes = logits.length / items.length;
        items.forEach((item, row) =>
          item.resolve(logits.subarray(row * classes, (row + 1) * classes)),
        );
        this.observer?.batch(
          batch.rows,
          computedTokens,
          realTokens,
          queueWaitMs,
          this.now() - startedAt,
        );
      })
      .catch((error: unknown) => {
        // Every request in a failed batch gets the same error; none is left waiting.
        const failure =
          error instanceof ModelFailedError
            ? error
            : new ModelFailedError(String((error as Error)?.message ?? error), { cause: error });
        for (const item of items) item.reject(failure);
        this.observer?.failed(items.length, failure);
      })
      .finally(() => {
        this.busy--;
        this.freedAt = this.now();
        this.pump();
      });
  }

  private learnSpeed(rows: number): void {
    this.finished.push({ at: this.now(), rows });
    if (this.finished.length > SPEED_WINDOW) this.finished.shift();
  }

  /**
   * Texts per ms the workers answered over the last SPEED_WINDOW batches run under load, all
   * workers together and every delay included (hand-offs, a busy event loop): the rate at
   * which the queue really drains. 0 until two such batches have come back since it was idle.
   */
  private get drainRate(): number {
    const first = this.finished[0];
    const last = this.finished.at(-1);
    if (!first || !last || last.at <= first.at) return 0;
    const rows = this.finished.reduce((sum, batch) => sum + batch.rows, 0) - first.rows;
    return rows / (last.at - first.at);
  }
}

/** Share of its limit the queue must drain to before a shedding queue admits again. */
const LOW_WATERMARK = 0.5;
/** Batches the drain rate is measured over. */
const SPEED_WINDOW = 32;
/**
 * Padded graphs: how many of the oldest texts a batch is chosen among (at least 4 batches'
 * worth). Sorting all of a deep queue for every batch cost the event loop more than the
 * padding it saved (docs/benchmarks.md, "Overload").
 */
const CUT_WINDOW = 256;
/** Retry-After's ceiling, in seconds: past this a client had better try another replica. */
const MAX_RETRY_AFTER_S = 60;
