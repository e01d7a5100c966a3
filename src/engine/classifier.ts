import { RequestAborted, RequestTimedOut } from '../errors.js';
import { cacheKey, type Scores, type TieredCache } from '../cache/cache.js';
import type { Batcher } from './batcher.js';
import { softmax } from './softmax.js';
import type { ModelTokenizer } from './tokenizer.js';

/** The scores of one request's texts, and how many of them came from the cache. */
export interface Classification {
  readonly scores: readonly Scores[];
  readonly cacheHits: number;
}

/** Observations of the classifier; metrics.ts implements them. */
export interface ClassifierObserver {
  coalesced(count: number): void;
  computed(count: number): void;
}

/** A text being computed, shared by every request that asks for it meanwhile. */
interface InFlight {
  readonly result: Promise<Scores>;
  waiters: number;
  readonly controller: AbortController;
}

/**
 * The path of one request's texts: cache → coalesce → tokenize → batch → softmax → cache.
 * Knows nothing of HTTP; a request's AbortSignal (client gone, timeout) drops its queued work.
 */
export class Classifier {
  private readonly inFlight = new Map<string, InFlight>();

  constructor(
    private readonly tokenizer: ModelTokenizer,
    private readonly batcher: Batcher,
    private readonly cache: TieredCache,
    /** Identifies the model and preprocessing in every cache key. */
    private readonly fingerprint: string,
    private readonly timeoutMs: number,
    private readonly observer?: ClassifierObserver,
  ) {}

  async classify(texts: readonly string[], clientSignal?: AbortSignal): Promise<Classification> {
    if (texts.length === 0) return { scores: [], cacheHits: 0 };
    const timeout = AbortSignal.timeout(this.timeoutMs);
    const signal = clientSignal ? AbortSignal.any([clientSignal, timeout]) : timeout;
    const keys = texts.map((text) => cacheKey(this.fingerprint, text));
    const cached = await this.cache.getMany(keys);
    const cacheHits = cached.filter((scores) => scores !== undefined).length;

    // One computation per distinct missing key: a text repeated in a body, or already being
    // computed for another request, runs once. Queue the new ones first: if the queue is
    // full this throws Overloaded before the request has joined anything.
    const shared = new Map<string, InFlight>();
    const fresh = new Map<string, string>();
    keys.forEach((key, index) => {
      if (cached[index] !== undefined || shared.has(key) || fresh.has(key)) return;
      const entry = this.inFlight.get(key);
      if (entry) {
        this.observer?.coalesced(1);
        shared.set(key, entry);
      } else {
        fresh.set(key, texts[index] as string);
      }
    });
    for (const [key, entry] of this.compute(fresh)) shared.set(key, entry);
    const pending = new Map<string, Promise<Scores>>();
    for (const [key, entry] of shared) pending.set(key, this.join(entry, signal));

    const scores = await Promise.all(
      keys.map((key, index) => cached[index] ?? (pending.get(key) as Promise<Scores>)),
    ).catch((error: unknown) => {
      throw timeout.aborted && !clientSignal?.aborted ? new RequestTimedOut(this.timeoutMs) : error;
    });
    return { scores, cacheHits };
  }

  /** Registers a waiter on an in-flight text; its abort only cancels when it was the last. */
  private join(entry: InFlight, signal: AbortSignal): Promise<Scores> {
    entry.waiters++;
    return new Promise<Scores>((resolve, reject) => {
      const onAbort = (): void => {
        entry.waiters--;
        if (entry.waiters === 0) entry.controller.abort();
        reject(new RequestAborted());
      };
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      entry.result.then(
        (scores) => {
          signal.removeEventListener('abort', onAbort);
          resolve(scores);
        },
        (error: unknown) => {
          signal.removeEventListener('abort', onAbort);
          reject(error as Error);
        },
      );
    });
  }

  /** Tokenizes the texts nobody is computing yet and queues them, each with its own abort. */
  private compute(fresh: ReadonlyMap<string, string>): Map<string, InFlight> {
    const started = new Map<string, InFlight>();
    if (fresh.size === 0) return started;
    const controllers = [...fresh.keys()].map(() => new AbortController());
    const logits = this.batcher.submit(
      [...fresh.values()].map((text) => this.tokenizer.encode(text)),
      controllers.map((controller) => controller.signal),
    ); // throws Overloaded before anything is queued
    this.observer?.computed(fresh.size);
    [...fresh.keys()].forEach((key, index) => {
      const result = (logits[index] as Promise<Float32Array>).then((row) => softmax(row));
      const entry: InFlight = { result, waiters: 0, controller: controllers[index] as AbortController };
      this.inFlight.set(key, entry);
      result
        .then(
          (scores) => this.cache.setMany([[key, scores]]),
          () => undefined,
        )
        .finally(() => this.inFlight.delete(key));
      started.set(key, entry);
    });
    return started;
  }
}
