import type { Config } from '../config.js';
import type { ResultCache } from '../cache/cache.js';
import type { ResolvedModel } from '../model/resolve.js';
import { Batcher, type BatcherObserver } from './batcher.js';
import { Classifier, type ClassifierMonitoring, type ClassifierObserver } from './classifier.js';
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

/** What the workers' graph gives, known once they have loaded it. */
export interface EngineGraph {
  /** Each text's [CLS] representation comes back with its logits. */
  readonly representation: boolean;
}

/** What the classifier reads from and reports to, beyond the model. */
export interface ClassifierParts {
  readonly cache: ResultCache;
  /** Undefined with the monitor off. */
  readonly monitoring?: ClassifierMonitoring | undefined;
}

/** What the engine runs on, built by the composition root (service.ts). */
export interface EngineParts {
  readonly model: ResolvedModel;
  readonly tokenizer: ModelTokenizer;
  /**
   * The cache and the monitor's part, asked for once the workers have loaded the graph: what
   * a cache entry holds (a feature vector with or without the projection of the [CLS]
   * representation) depends on whether the graph gives that representation.
   */
  readonly attach: (graph: EngineGraph) => ClassifierParts;
  readonly observer: EngineObserver;
  /** Ask the workers for each text's [CLS] representation (something reads it). */
  readonly representation?: boolean;
}

/** Starts the inference workers for one model and puts the classifier in front of them. */
export async function startEngine(config: Config, parts: EngineParts): Promise<Engine> {
  const { model, tokenizer, observer } = parts;
  const onnxPath = (config.batchPacking && model.files.packedOnnxPath) || model.files.onnxPath;
  const pool = await InferencePool.start({
    onnxPath,
    workers: config.inferenceWorkers,
    intraOpThreads: config.inferenceThreads,
    representation: parts.representation ?? false,
  });
  let attached: ClassifierParts;
  try {
    attached = parts.attach({ representation: pool.representation });
  } catch (error) {
    await pool.close();
    throw error;
  }
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
    attached.cache,
    model.config.labels,
    config.requestTimeoutMs,
    observer,
    attached.monitoring,
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
