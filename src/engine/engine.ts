import type { Config } from '../config.js';
import { TieredCache, type CacheObserver } from '../cache/cache.js';
import { MemoryCache } from '../cache/memory.js';
import { RedisCache, type StateLogger } from '../cache/redis.js';
import type { ModelConfig, ModelFiles } from '../model/model-files.js';
import { Batcher, type BatcherObserver } from './batcher.js';
import { Classifier, type ClassifierObserver } from './classifier.js';
import { InferencePool } from './inference-pool.js';
import { ModelTokenizer } from './tokenizer.js';

/** A model folder checked and read, ready to serve. */
export interface ServableModel {
  readonly files: ModelFiles;
  readonly config: ModelConfig;
  /** Identifies the model's outputs in cache keys (model/fingerprint.ts). */
  readonly fingerprint: string;
}

/** The running engine: what the HTTP layer calls, and how main.ts stops it. */
export interface Engine {
  readonly classifier: Classifier;
  readonly labels: readonly string[];
  readonly batcher: Batcher;
  /** The ONNX file the workers run (the packed variant when there is one and packing is on). */
  readonly onnxPath: string;
  /** Refuses new work and waits for queued texts to finish. */
  drain(): Promise<void>;
  /** Stops the workers and closes the cache connections. */
  close(): Promise<void>;
}

export type EngineObserver = BatcherObserver & ClassifierObserver & CacheObserver;

/** An observer that records nothing: for one-shot use such as `sentiment-api predict`. */
export const SILENT_OBSERVER: EngineObserver = {
  batch: () => undefined,
  dropped: () => undefined,
  queueDepth: () => undefined,
  coalesced: () => undefined,
  computed: () => undefined,
  hits: () => undefined,
  misses: () => undefined,
  error: () => undefined,
};

/** Starts the inference workers and the cache tiers for one model. */
export async function startEngine(
  config: Config,
  model: ServableModel,
  observer: EngineObserver,
  logRedisState: StateLogger,
): Promise<Engine> {
  const tokenizer = ModelTokenizer.fromModelFiles(model.files, model.config.maxPositions);
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
      maxPadding: config.batchMaxPaddingPct / 100,
      graph: pool.graph,
    },
    observer,
  );
  const memory =
    config.cacheMemoryBytes > 0
      ? new MemoryCache(config.cacheMemoryBytes, config.cacheTtlSeconds, observer)
      : undefined;
  const redis = config.redisUrl
    ? new RedisCache(
        {
          url: config.redisUrl,
          ttlSeconds: config.cacheTtlSeconds,
          commandTimeoutMs: config.redisTimeoutMs,
          keyPrefix: 'sentiment:v1:',
        },
        logRedisState,
        observer,
      )
    : undefined;
  // Truncation length is preprocessing that changes scores: part of every shared cache key.
  const cache = new TieredCache(memory, redis, `${model.fingerprint}:max${tokenizer.maxLength}`);
  const classifier = new Classifier(tokenizer, batcher, cache, config.requestTimeoutMs, observer);
  return {
    classifier,
    labels: model.config.labels,
    batcher,
    onnxPath,
    drain: () => batcher.drain(),
    close: async () => {
      await Promise.all([pool.close(), cache.close()]);
    },
  };
}
