import type { Config } from '../config.js';
import type { ResultCache } from '../cache/cache.js';
import type { ResolvedModel } from '../model/resolve.js';
import { Batcher, type BatcherObserver } from './batcher.js';
import { Classifier, type ClassifierObserver } from './classifier.js';
import { InferencePool } from './inference-pool.js';
import type { ModelTokenizer } from './tokenizer.js';

/** The running engine: what the HTTP layer calls, and how the service stops it. */
export interface Engine {
  readonly classifier: Classifier;
  readonly batcher: Batcher;
  /** The ONNX file the workers run (the packed variant when there is one and packing is on). */
  readonly onnxPath: string;
  /** Refuses new work and waits for queued texts to finish. */
  drain(): Promise<void>;
  /** Refuses what is still queued (503); the batches already running finish. */
  abandon(): void;
  /** Stops the workers. The cache is the caller's: it opened it. */
  close(): Promise<void>;
}

export type EngineObserver = BatcherObserver & ClassifierObserver;

/** What the engine runs on, built by the composition root (service.ts). */
export interface EngineParts {
  readonly model: ResolvedModel;
  readonly tokenizer: ModelTokenizer;
  readonly cache: ResultCache;
  readonly observer: EngineObserver;
}

/** Starts the inference workers for one model and puts the classifier in front of them. */
export async function startEngine(config: Config, parts: EngineParts): Promise<Engine> {
  const { model, tokenizer, cache, observer } = parts;
  const onnxPath = (config.batchPacking && model.files.packedOnnxPath) || model.files.onnxPath;
  const pool = await InferencePool.start({
    onnxPath,
    workers: config.inferenceWorkers,
    intraOpThreads: config.inferenceThreads,
  });
  const batcher = new Batcher(
    pool,
    {
      maxItems: config.batchMaxItems,
      maxTokens: config.batchMaxTokens,
      maxDelayMs: config.batchMaxDelayMs,
      maxQueued: config.queueMaxItems,
      // Half the request's time at most: what is admitted must also be computed and answered.
      maxWaitMs: Math.min(config.queueMaxWaitMs, config.requestTimeoutMs / 2),
      maxPadding: config.batchMaxPaddingPct / 100,
      graph: pool.graph,
    },
    observer,
  );
  const classifier = new Classifier(
    tokenizer,
    batcher,
    cache,
    model.config.labels,
    config.requestTimeoutMs,
    observer,
  );
  return {
    classifier,
    batcher,
    onnxPath,
    drain: () => batcher.drain(),
    abandon: () => batcher.abandon(),
    close: () => pool.close(),
  };
}
