import { RequestAbortedError, RequestTimeoutError, type AppError } from '../errors.js';
import type { CacheEntry, ResultCache } from '../cache/cache.js';
import type { InferenceRow } from '../model/token-batch.js';
import type { Batcher } from './batcher.js';
import type { FeatureVectors, TrafficObserver } from './feature-vectors.js';
import { softmax } from './softmax.js';
import {
  NO_STAGES,
  pendingStages,
  requestStages,
  type StageTimes,
  type TextStages,
} from './stage-times.js';
import type { ModelTokenizer } from './tokenizer.js';

/** One class and its probability. */
export interface LabelScore {
  readonly label: string;
  readonly score: number;
}

/**
 * The predictions for one request's texts, in input order (each every class in class-id
 * order), how many of the texts came from the cache, and where the request's time went.
 */
export interface Classification {
  readonly predictions: readonly (readonly LabelScore[])[];
  readonly cacheHits: number;
  /** Per stage, over the texts it waited for (stage-times.ts); all 0 when all were cached. */
  readonly stages: StageTimes;
}

/** How one call is treated beyond its texts. */
export interface ClassifyOptions {
  /**
   * Whether the texts are traffic the monitor watches (default true). False for texts the
   * service makes up or is shown for another purpose: /explain's variants, /feedback's
   * labelled texts (their predictions were observed when they were sent).
   */
  readonly observe?: boolean;
}

/** What the HTTP layer and the CLI call: texts in, labelled predictions out. */
export interface TextClassifier {
  classify(
    texts: readonly string[],
    onAbandon?: OnAbandon,
    options?: ClassifyOptions,
  ): Promise<Classification>;
  /**
   * The refusal a request would get now whatever its texts (the queue is shedding or
   * draining), so the HTTP layer can answer before it reads the body; undefined: send it.
   */
  refusal?(): AppError | undefined;
}

/** Observations of the classifier; metrics.ts implements them. */
export interface ClassifierObserver {
  coalesced(count: number): void;
  computed(count: number): void;
  /** One request's new texts were tokenized, in one call, in `ms`. */
  tokenized(texts: number, ms: number): void;
}

/**
 * The monitor's part in the classifier (the monitor on): how a computed text becomes its
 * feature vector, and who is told of each request's texts.
 */
export interface ClassifierMonitoring {
  readonly features: FeatureVectors;
  readonly observer: TrafficObserver;
}

/** A text being computed, shared by every request that asks for it meanwhile. */
interface InFlight {
  /** Its scores and feature vector, as the cache stores them (a join observes them too). */
  readonly result: Promise<CacheEntry>;
  waiters: number;
  readonly controller: AbortController;
  /** When its stages ran, for the timing of every request that waits for it. */
  readonly stages: TextStages;
}

/**
 * Registers `listener` to run if the caller goes away (for HTTP: the connection closes before
 * the answer). Only called when the request has work to wait for, so all-hit requests pay
 * nothing for it.
 */
export type OnAbandon = (listener: () => void) => void;

/**
 * The path of one request's texts: cache → coalesce → tokenize → batch → softmax → cache.
 * Knows nothing of HTTP; a caller gone or a timeout drops the request's queued work.
 */
export class Classifier implements TextClassifier {
  private readonly inFlight = new Map<string, InFlight>();

  constructor(
    private readonly tokenizer: ModelTokenizer,
    private readonly batcher: Batcher,
    private readonly cache: ResultCache,
    /** Class labels in class-id order (the model's `id2label`), applied here and only here. */
    private readonly labels: readonly string[],
    private readonly timeoutMs: number,
    private readonly observer?: ClassifierObserver,
    /** Undefined with MONITOR=0: no feature is computed, nothing observed. */
    private readonly monitoring?: ClassifierMonitoring,
  ) {}

  refusal(): AppError | undefined {
    return this.batcher.refusal();
  }

  async classify(
    texts: readonly string[],
    onAbandon?: OnAbandon,
    options?: ClassifyOptions,
  ): Promise<Classification> {
    if (texts.length === 0) return { predictions: [], cacheHits: 0, stages: NO_STAGES };
    const cached = await this.cache.getMany(texts);
    let cacheHits = 0;
    for (const entry of cached) if (entry !== undefined) cacheHits++;
    const observer = options?.observe === false ? undefined : this.monitoring?.observer;
    if (cacheHits === texts.length) {
      // A hit replays the vector stored with its scores: nothing is tokenized or run again.
      observer?.observe(cached.map((entry) => (entry as CacheEntry).features));
      return this.labelled(cached as CacheEntry[], cacheHits);
    }

    // One computation per distinct missing text: a text repeated in a body, or already being
    // computed for another request, runs once. Queue the new ones first: if the queue is
    // full this throws OverloadedError before the request has joined anything.
    const joined = new Map<string, InFlight>();
    const fresh = new Set<string>();
    texts.forEach((text, index) => {
      if (cached[index] !== undefined || joined.has(text) || fresh.has(text)) return;
      const entry = this.inFlight.get(text);
      if (entry) {
        this.observer?.coalesced(1);
        joined.set(text, entry);
      } else {
        fresh.add(text);
      }
    });
    const joinedAt = performance.now();
    for (const [text, entry] of this.compute(fresh)) joined.set(text, entry);
    for (const entry of joined.values()) entry.waiters++;

    // The request gives up when its caller goes or its time runs out; a text it was waiting
    // for is dropped from the queue only when no other request still waits for it.
    let timedOut = false;
    let giveUp: () => void = () => undefined;
    let settled = false;
    const abandoned = new Promise<never>((_, reject) => {
      giveUp = () => {
        if (settled) return;
        settled = true;
        for (const [text, entry] of joined) if (--entry.waiters === 0) this.cancel(text, entry);
        reject(timedOut ? new RequestTimeoutError(this.timeoutMs) : new RequestAbortedError());
      };
    });
    const timer = setTimeout(() => {
      timedOut = true;
      giveUp();
    }, this.timeoutMs);
    onAbandon?.(() => giveUp());
    try {
      const entries = await Promise.race([
        Promise.all(
          texts.map((text, index) => cached[index] ?? (joined.get(text) as InFlight).result),
        ),
        abandoned,
      ]);
      // Only a request answered is observed: texts refused, failed or abandoned are not.
      observer?.observe(entries.map((entry) => entry.features));
      const waited = [...joined.values()].map((entry) => entry.stages);
      return this.labelled(entries, cacheHits, requestStages(waited, joinedAt));
    } finally {
      settled = true;
      clearTimeout(timer);
    }
  }

  /**
   * Drops a text nobody waits for any more: from the queue (its abort), and from the map of
   * texts in flight at once, so a request that asks for it a moment later computes it again
   * instead of joining a computation that will only ever answer "aborted".
   */
  private cancel(text: string, entry: InFlight): void {
    entry.controller.abort();
    if (this.inFlight.get(text) === entry) this.inFlight.delete(text);
  }

  private labelled(
    entries: readonly CacheEntry[],
    cacheHits: number,
    stages: StageTimes = NO_STAGES,
  ): Classification {
    const { labels } = this;
    return {
      predictions: entries.map(({ scores }) =>
        labels.map((label, id) => ({ label, score: scores[id] as number })),
      ),
      cacheHits,
      stages,
    };
  }

  /** Records how long tokenizing took on each text's stages, and as a metric. */
  private tokenized(stages: readonly TextStages[], ms: number): void {
    for (const text of stages) text.tokenizeMs = ms;
    this.observer?.tokenized(stages.length, ms);
  }

  /**
   * Registers the texts nobody is computing yet as in flight (so requests arriving meanwhile
   * join them), then tokenizes them without holding the event loop and queues them, each
   * with its own abort. Throws OverloadedError at once when the queue has no room for them:
   * the room is reserved before tokenizing, so what is tokenized is always queued.
   */
  private compute(fresh: ReadonlySet<string>): Map<string, InFlight> {
    const started = new Map<string, InFlight>();
    if (fresh.size === 0) return started;
    const room = this.batcher.reserve(fresh.size);
    const keys = [...fresh];
    const controllers = keys.map(() => new AbortController());
    const stages = keys.map(() => pendingStages());
    const tokenizing = performance.now();
    const features = this.monitoring?.features;
    // With the monitor on, tokenizing also measures what the input descriptors need.
    const encoded = features
      ? this.tokenizer.encodeAllMeasured(keys).then((measured) => ({
          sequences: measured.map((m) => m.ids),
          ofText: measured.map((m, index) => features.ofText(keys[index] as string, m)),
        }))
      : this.tokenizer.encodeAll(keys).then((sequences) => ({ sequences, ofText: undefined }));
    const queued = encoded.then(
      ({ sequences, ofText }) => {
        this.tokenized(stages, performance.now() - tokenizing);
        const rows = room.submit(
          sequences,
          controllers.map((controller) => controller.signal),
          stages,
        );
        return { rows, ofText };
      },
      (error: unknown) => {
        room.release();
        throw error;
      },
    );
    this.observer?.computed(fresh.size);
    keys.forEach((key, index) => {
      const result = queued.then(({ rows, ofText }) =>
        (rows[index] as Promise<InferenceRow>).then((row): CacheEntry => {
          const scores = softmax(row.logits);
          const part = ofText?.[index];
          return {
            scores,
            features: features && part ? features.complete(part, scores, row.representation) : [],
          };
        }),
      );
      const entry: InFlight = {
        result,
        waiters: 0,
        controller: controllers[index] as AbortController,
        stages: stages[index] as TextStages,
      };
      // Registered before any waiter's: every request that reads the stages finds the end set.
      void result.then(
        () => {
          entry.stages.doneAt = performance.now();
        },
        () => undefined,
      );
      this.inFlight.set(key, entry);
      result
        .then(
          (computed) => this.cache.setMany([[key, computed]]),
          () => undefined,
        )
        .finally(() => {
          if (this.inFlight.get(key) === entry) this.inFlight.delete(key);
        });
      started.set(key, entry);
    });
    return started;
  }
}
