import {
  ModelFailedError,
  type AppError,
  RequestAbortedError,
  ShuttingDownError,
} from '../errors.js';
import { Admission } from './admission.js';
import { cutBatch } from './batch-cut.js';
import {
  assembleBatch,
  inferenceRows,
  type BatchOutput,
  type GraphKind,
  type InferenceRow,
  type TokenBatch,
} from '../model/token-batch.js';

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
  run(batch: TokenBatch): Promise<BatchOutput>;
  close(): Promise<void>;
}

/** Room for one request's texts in the queue, held while they are tokenized. */
export interface QueueReservation {
  /** Queues the texts (at most as many as reserved); once. */
  submit(
    sequences: readonly (readonly number[])[],
    signals?: readonly AbortSignal[],
    times?: readonly ItemTimes[],
  ): Promise<InferenceRow>[];
  /** Gives the room back unused (tokenization failed); a no-op after submit. */
  release(): void;
}

/**
 * Where the batcher writes, per text, how long it waited in the queue and how long the
 * forward pass of its batch took (ms), before its row resolves: the request's timing headers.
 */
export interface ItemTimes {
  queueMs: number;
  inferenceMs: number;
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
  readonly times: ItemTimes | undefined;
  readonly resolve: (row: InferenceRow) => void;
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
  /**
   * The batch a worker that has just come free waits for (waitForCompany): the texts queued
   * then plus those it has just answered, whose clients are about to send again; at most
   * maxItems.
   */
  private company = 0;
  private closed = false;
  private abandoned = false;
  /** Room held by callers that are still tokenizing (see reserve). */
  private reserved = 0;
  private idleWaiters: (() => void)[] = [];
  /** Signals of queued items that fired since the last scan (some may have run already). */
  private aborts = 0;
  private readonly countAbort = (): void => {
    this.aborts++;
  };

  private readonly now: () => number;
  private readonly admission: Admission;

  constructor(
    private readonly runner: BatchRunner,
    private readonly options: BatcherOptions,
    private readonly observer?: BatcherObserver,
  ) {
    this.now = options.clock ?? (() => performance.now());
    this.admission = new Admission(
      {
        maxQueued: options.maxQueued,
        maxWaitMs: options.maxWaitMs ?? 0,
        minLimit: options.maxItems,
      },
      this.now,
    );
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
    const overloaded = this.admission.check(this.queue.length + this.reserved, count);
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
      submit: (sequences, signals, times) => {
        if (!open) throw new Error('a queue reservation is used once');
        if (sequences.length > count) throw new Error('more sequences than were reserved');
        release();
        if (this.abandoned) throw new ShuttingDownError();
        return this.enqueue(sequences, signals, times);
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
    return this.admission.check(this.queue.length + this.reserved, 1);
  }

  /** How many texts may wait now (admission.ts). */
  get limit(): number {
    return this.admission.limit;
  }

  /**
   * Queues every sequence of one request at once, or none of them (reserve, then submit).
   * Resolves each to its row (logits, and the representation when the graph gives one); an
   * aborted signal drops the item before it runs.
   */
  submit(
    sequences: readonly (readonly number[])[],
    signals?: readonly AbortSignal[],
  ): Promise<InferenceRow>[] {
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
    times?: readonly ItemTimes[],
  ): Promise<InferenceRow>[] {
    const now = this.now();
    const results = sequences.map(
      (ids, index) =>
        new Promise<InferenceRow>((resolve, reject) => {
          const signal = signals?.[index];
          const own = times?.[index];
          this.queue.push({ ids, signal, enqueuedAt: now, times: own, resolve, reject });
          if (signal?.aborted) this.aborts++;
          else signal?.addEventListener('abort', this.countAbort, { once: true });
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
    this.admission.idle();
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
      this.dispatch(this.takeBatch());
    }
  }

  /**
   * How long to hold a free worker back, in ms. Under load (another worker is busy) a worker
   * that has just come free waits up to maxDelayMs for company: the clients of the batch it
   * finished are about to send again, and a batch of one runs at half the per-text speed of
   * a full one. It waits for as many texts as were queued plus as many as it answered (at
   * most maxItems), not always a full batch: with fewer clients than a full batch each, the
   * texts that will come are already known, and waiting past them for texts that will not
   * come idles the worker for the whole delay. An idle server never waits, so a lone request
   * pays no delay.
   */
  private waitForCompany(): number {
    if (this.busy === 0 || this.queue.length >= this.company) return 0;
    return this.freedAt + this.options.maxDelayMs - this.now();
  }

  /**
   * Drops the queued items whose signal has fired. Scans only once one has: a scan of a deep
   * queue on every pass of the pump (every request and every batch) cost the event loop more
   * than any other part of the queue (docs/benchmarks.md, "Overload").
   */
  private dropAbandoned(): void {
    if (this.aborts === 0) return;
    this.aborts = 0;
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
    if (dropped > 0) this.observer?.dropped(dropped);
  }

  /** Takes the next batch off the queue (batch-cut.ts chooses it). */
  private takeBatch(): Item[] {
    const indices = cutBatch(this.queue, this.options);
    let batch: Item[];
    if (indices.length === (indices.at(-1) ?? -1) + 1) {
      // A prefix (always, for a packed graph): one slice each way.
      batch = this.queue.slice(0, indices.length);
      this.queue = this.queue.slice(indices.length);
    } else {
      batch = indices.map((index) => this.queue[index] as Item);
      for (const index of [...indices].reverse()) this.queue.splice(index, 1);
    }
    this.observer?.queueDepth(this.queue.length);
    return batch;
  }

  private dispatch(items: Item[]): void {
    const { batch, realTokens, computedTokens } = assembleBatch(this.options.graph, items);
    const startedAt = this.now();
    // Only a batch cut from a queue that had more says how fast the workers drain one.
    const underLoad = this.queue.length > 0 || items.length >= this.options.maxItems;
    const queueWaitMs = startedAt - Math.min(...items.map((item) => item.enqueuedAt));
    for (const item of items) if (item.times) item.times.queueMs = startedAt - item.enqueuedAt;
    this.busy++;
    // The company this worker waits for next, counted as its answers go out (by the time it is
    // marked free, answered clients may already have sent again).
    let company = items.length;
    this.runner
      .run(batch)
      .then((output) => {
        company = Math.min(this.options.maxItems, this.queue.length + items.length);
        const ranMs = this.now() - startedAt;
        for (const item of items) if (item.times) item.times.inferenceMs = ranMs;
        if (underLoad) this.admission.drained(items.length);
        const rows = inferenceRows(output, items.length);
        items.forEach((item, row) => item.resolve(rows[row] as InferenceRow));
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
        this.company = company;
        this.pump();
      });
  }
}
