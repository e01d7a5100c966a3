import { availableParallelism, homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from './errors.js';

/** The package root: `src/` runs under tsx, `dist/src/` once built; both sit below it. */
const PACKAGE_ROOT = fileURLToPath(
  new URL(import.meta.url.includes('/dist/src/') ? '../../' : '../', import.meta.url),
);

/** The model bundled in the repository: served when neither MODEL_DIR nor MODEL_ID is set. */
export const BUNDLED_MODEL_DIR = join(PACKAGE_ROOT, 'models', 'sst2-tiny-distilbert');

export type ModelDtype = 'fp32' | 'int8';

/**
 * Every setting of the service, read once from the environment by `loadConfig` and frozen.
 * Each field names its environment variable; the README's configuration table mirrors this.
 */
export interface Config {
  /** HOST: interface to bind; 0.0.0.0 so the service is reachable inside a container. */
  readonly host: string;
  /** PORT: the seed served on 8000; kept so its clients and load scripts work unchanged. */
  readonly port: number;
  /** LOG_LEVEL: pino level (fatal, error, warn, info, debug, trace, silent). */
  readonly logLevel: string;

  /** MODEL_DIR: a model folder in Hugging Face layout; replaces the bundled model. */
  readonly modelDir: string | undefined;
  /** MODEL_ID: a Hub repo (`org/name[@revision]`), pulled and converted on first start. */
  readonly modelId: string | undefined;
  /** MODEL_CACHE: where pulled models live, one folder per resolved commit. */
  readonly modelCache: string;
  /** MODEL_DTYPE: `fp32` serves onnx/model.onnx, `int8` serves onnx/model_quantized.onnx. */
  readonly modelDtype: ModelDtype;
  /** HF_ENDPOINT: Hub base URL; point it at a mirror. */
  readonly hfEndpoint: string;
  /** HF_TOKEN: bearer token for private or gated repos. */
  readonly hfToken: string | undefined;
  /** HF_HUB_OFFLINE=1: never touch the network; serve only what the cache holds. */
  readonly hfOffline: boolean;

  /** MAX_TEXTS_PER_REQUEST: more texts than this in one body → 413. */
  readonly maxTextsPerRequest: number;
  /** MAX_TEXT_CHARS: a longer text → 413. The model reads 512 tokens at most anyway. */
  readonly maxTextChars: number;
  /** BODY_LIMIT_BYTES: a larger body → 413 before it is parsed. */
  readonly bodyLimitBytes: number;

  /** INFERENCE_WORKERS: worker threads that each own one ONNX Runtime session. */
  readonly inferenceWorkers: number;
  /** INFERENCE_THREADS: intra-op threads per session; workers × threads ≈ cores is the rule. */
  readonly inferenceThreads: number;
  /**
   * BATCH_MAX_ITEMS: most texts in one forward pass. 8 measured best on base DistilBERT with
   * two single-thread workers (docs/benchmarks.md): bigger batches pad more (padded graph) or
   * pay attention's square cost over a longer row (packed graph).
   */
  readonly batchMaxItems: number;
  /**
   * BATCH_MAX_TOKENS: most tokens in one forward pass (padded: items × longest; packed: the
   * total). 1024 bounds a packed row's attention scores to ~50 MB per worker.
   */
  readonly batchMaxTokens: number;
  /**
   * BATCH_PACKING: 1 (default) serves the model's packed graph when its folder has one
   * (sequences concatenated, no padding computed); 0 keeps padded batches.
   */
  readonly batchPacking: boolean;
  /** BATCH_MAX_PADDING_PCT: largest share of a batch's tokens that may be padding, in percent. */
  readonly batchMaxPaddingPct: number;
  /**
   * BATCH_MAX_DELAY_MS: under load (another worker busy), how long a worker that has just come
   * free may wait for a full batch (BATCH_MAX_ITEMS) before it takes what is queued. The
   * clients it just answered are usually about to send again, and a full batch computes each
   * text faster. An idle server never waits, so a lone request pays nothing. 10 measured best
   * (docs/benchmarks.md, "Serving"); 0 sends work the moment a worker frees up.
   */
  readonly batchMaxDelayMs: number;
  /** QUEUE_MAX_ITEMS: texts waiting for the model beyond which requests get 429. */
  readonly queueMaxItems: number;
  /** REQUEST_TIMEOUT_MS: a request still unanswered after this gets 504; its work is dropped. */
  readonly requestTimeoutMs: number;

  /** CACHE_MEMORY_BYTES: size of the in-process LRU of results (0 disables it). */
  readonly cacheMemoryBytes: number;
  /** REDIS_URL: shared cache across replicas; unset runs on the in-process tier alone. */
  readonly redisUrl: string | undefined;
  /**
   * REDIS_KEY_PREFIX: put before every key this service writes, so one Redis can be shared
   * with other applications; bump its version when the stored value's format changes.
   */
  readonly redisKeyPrefix: string;
  /** REDIS_TIMEOUT_MS: a Redis command slower than this counts as a miss, not a wait. */
  readonly redisTimeoutMs: number;
  /** CACHE_TTL_SECONDS: lifetime of a cached result in Redis and in memory; 0 = no expiry. */
  readonly cacheTtlSeconds: number;

  /** SHUTDOWN_GRACE_MS: on SIGTERM, longest wait for in-flight requests before exit. */
  readonly shutdownGraceMs: number;
}

type Env = Readonly<Record<string, string | undefined>>;

function int(
  env: Env,
  name: string,
  fallback: number,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(`${name} must be a whole number, got '${raw}'`);
  const value = Number(raw);
  if (value < min || value > max) {
    throw new ConfigError(`${name} must be between ${min} and ${max}, got ${value}`);
  }
  return value;
}

function str(env: Env, name: string): string | undefined {
  const raw = env[name]?.trim();
  return raw === undefined || raw === '' ? undefined : raw;
}

function bool(env: Env, name: string, fallback = false): boolean {
  const raw = str(env, name)?.toLowerCase();
  if (raw === undefined) return fallback;
  if (['1', 'true', 'yes', 'on'].includes(raw)) return true;
  if (['0', 'false', 'no', 'off'].includes(raw)) return false;
  throw new ConfigError(`${name} must be 1 or 0, got '${raw}'`);
}

function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const raw = str(env, name);
  if (raw === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(raw)) {
    throw new ConfigError(`${name} must be one of ${allowed.join(', ')}, got '${raw}'`);
  }
  return raw as T;
}

/** Reads and checks every setting; throws ConfigError naming the first bad variable. */
export function loadConfig(env: Env): Config {
  const cores = availableParallelism();
  const config: Config = {
    host: str(env, 'HOST') ?? '0.0.0.0',
    port: int(env, 'PORT', 8000, 0, 65535),
    logLevel: oneOf(
      env,
      'LOG_LEVEL',
      ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'],
      'info',
    ),
    modelDir: str(env, 'MODEL_DIR'),
    modelId: str(env, 'MODEL_ID'),
    modelCache:
      str(env, 'MODEL_CACHE') ??
      join(env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'sentiment-api', 'models'),
    modelDtype: oneOf(env, 'MODEL_DTYPE', ['fp32', 'int8'] as const, 'fp32'),
    hfEndpoint: (str(env, 'HF_ENDPOINT') ?? 'https://huggingface.co').replace(/\/+$/, ''),
    hfToken: str(env, 'HF_TOKEN'),
    hfOffline: bool(env, 'HF_HUB_OFFLINE'),
    maxTextsPerRequest: int(env, 'MAX_TEXTS_PER_REQUEST', 256, 1),
    maxTextChars: int(env, 'MAX_TEXT_CHARS', 10_000, 1),
    bodyLimitBytes: int(env, 'BODY_LIMIT_BYTES', 4 * 1024 * 1024, 1024),
    inferenceWorkers: int(env, 'INFERENCE_WORKERS', cores, 1, 64),
    inferenceThreads: int(env, 'INFERENCE_THREADS', 1, 1, 64),
    batchMaxItems: int(env, 'BATCH_MAX_ITEMS', 8, 1, 4096),
    batchMaxTokens: int(env, 'BATCH_MAX_TOKENS', 1024, 512),
    batchPacking: bool(env, 'BATCH_PACKING', true),
    batchMaxPaddingPct: int(env, 'BATCH_MAX_PADDING_PCT', 20, 0, 100),
    batchMaxDelayMs: int(env, 'BATCH_MAX_DELAY_MS', 10, 0, 10_000),
    queueMaxItems: int(env, 'QUEUE_MAX_ITEMS', 2048, 1),
    requestTimeoutMs: int(env, 'REQUEST_TIMEOUT_MS', 30_000, 1),
    cacheMemoryBytes: int(env, 'CACHE_MEMORY_BYTES', 64 * 1024 * 1024, 0),
    redisUrl: str(env, 'REDIS_URL'),
    redisKeyPrefix: str(env, 'REDIS_KEY_PREFIX') ?? 'sentiment:v1:',
    redisTimeoutMs: int(env, 'REDIS_TIMEOUT_MS', 100, 1),
    cacheTtlSeconds: int(env, 'CACHE_TTL_SECONDS', 60, 0),
    shutdownGraceMs: int(env, 'SHUTDOWN_GRACE_MS', 10_000, 0),
  };
  if (config.modelDir && config.modelId) {
    throw new ConfigError('set MODEL_DIR or MODEL_ID, not both');
  }
  return Object.freeze(config);
}
