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
    const keys = texts.map((text) => cacheKey(this.fingerprint, text));
    const cached = await this.cache.getMany(keys);
    const cacheHits = cached.filter((scores) => scores !== undefined).length;
    if (cacheHits === texts.length) return { scores: cached as Scores[], cacheHits };

    // One computation per distinct missing key: a text repeated in a body, or already being
    // computed for another request, runs once. Queue the new ones first: if the queue is
    // full this throws Overloaded before the request has joined anything.
    const joined = new Map<string, InFlight>();
    const fresh = new Map<string, string>();
    keys.forEach((key, index) => {
      if (cached[index] !== undefined || joined.has(key) || fresh.has(key)) return;
      const entry = this.inFlight.get(key);
      if (entry) {
        this.observer?.coalesced(1);
        joined.set(key, entry);
      } else {
        fresh.set(key, texts[index] as string);
      }
    });
    for (const [key, entry] of this.compute(fresh)) joined.set(key, entry);
    for (const entry of joined.values()) entry.waiters++;

    // The request gives up when its client goes or its time runs out; a text it was waiting
    // for is dropped from the queue only when no other request still waits for it.
    let timedOut = false;
    const gaveUp = new AbortController();
    const timer = setTimeout(() => {
      timedOut = true;
      gaveUp.abort();
    }, this.timeoutMs);
    const forward = (): void => gaveUp.abort();
    clientSignal?.addEventListener('abort', forward, { once: true });
    if (clientSignal?.aborted) gaveUp.abort();
    const abandoned = new Promise<never>((_, reject) => {
      const onAbort = (): void => {
        for (const entry of joined.values()) if (--entry.waiters === 0) entry.controller.abort();
        reject(timedOut ? new RequestTimedOut(this.timeoutMs) : new RequestAborted());
      };
      if (gaveUp.signal.aborted) onAbort();
      else gaveUp.signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      const scores = await Promise.race([
        Promise.all(
          keys.map((key, index) => cached[index] ?? (joined.get(key) as InFlight).result),
        ),
        abandoned,
      ]);
      return { scores, cacheHits };
    } finally {
      clearTimeout(timer);
      clientSignal?.removeEventListener('abort', forward);
    }
  }

  /**
   * Registers the texts nobody is computing yet as in flight (so requests arriving meanwhile
   * join them), then tokenizes them without holding the event loop and queues them, each
   * with its own abort. Throws Overloaded at once when the queue has no room for them.
   */
  private compute(fresh: ReadonlyMap<string, string>): Map<string, InFlight> {
    const started = new Map<string, InFlight>();
    if (fresh.size === 0) return started;
    this.batcher.assertRoom(fresh.size);
    const keys = [...fresh.keys()];
    const controllers = keys.map(() => new AbortController());
    // If the queue filled up while we tokenized, submit throws and every text rejects with it.
    const queued = this.tokenizer.encodeAll([...fresh.values()]).then((sequences) =>
      this.batcher.submit(
        sequences,
        controllers.map((controller) => controller.signal),
      ),
    );
    this.observer?.computed(fresh.size);
    keys.forEach((key, index) => {
      const result = queued
        .then((rows) => rows[index] as Promise<Float32Array>)
        .then((row) => softmax(row));
      const entry: InFlight = {
        result,
        waiters: 0,
        controller: controllers[index] as AbortController,
      };
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
