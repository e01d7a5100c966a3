import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { cpuBudget } from './cpu-budget.js';
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
  readonly logLevel: LogLevel;

  /** MODEL_DIR: a model folder with Hugging Face's file names; replaces the bundled model. */
  readonly modelDir: string | undefined;
  /** MODEL_ID: a Hub repo (`org/name[@revision]`), pulled and converted on first start. */
  readonly modelId: string | undefined;
  /**
   * MODEL_NAME: the model's name on the Open Inference Protocol routes (`/v2/models/{name}`),
   * what KServe and Triton clients address it by. By default the last path segment of
   * MODEL_ID (without `@revision`) or MODEL_DIR, and `sentiment` for the bundled model.
   */
  readonly modelName: string;
  /**
   * MODEL_CACHE: the Hugging Face Hub cache pulled models live in
   * (`models--org--name/snapshots/<commit>`), shared with huggingface_hub and transformers;
   * by default resolved as they resolve it (HF_HUB_CACHE, else HF_HOME/hub, else
   * XDG_CACHE_HOME/huggingface/hub, else ~/.cache/huggingface/hub).
   */
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
  /**
   * MAX_TEXT_CHARS: an opt-in limit; a longer text → 413. 0 (the default): none, any text the
   * body limit allows is accepted, since a text past the model's 512 tokens is truncated and
   * only its first few kilobytes are tokenized (docs/benchmarks.md, "Tokenizer").
   */
  readonly maxTextChars: number;
  /** BODY_LIMIT_BYTES: a larger body → 413 before it is parsed. */
  readonly bodyLimitBytes: number;
  /**
   * EXPLAIN_MAX_TEXTS: most texts in one POST /explain (more → 413). Small, because each text
   * costs one forward pass per word considered, plus one.
   */
  readonly explainMaxTexts: number;
  /**
   * EXPLAIN_MAX_WORDS: only a text's first this many words are explained (the answer says how
   * many it has): the bound on the forward passes one text can cost.
   */
  readonly explainMaxWords: number;

  /**
   * INFERENCE_WORKERS: worker threads that each own one ONNX Runtime session. Defaults to the
   * cores this process may use: the machine's, capped by a container's CPU limit (cpu-budget.ts).
   */
  readonly inferenceWorkers: number;
  /** INFERENCE_THREADS: intra-op threads per session; workers × threads ≈ cores is the rule. */
  readonly inferenceThreads: number;
  /**
   * BATCH_MAX_ITEMS: most texts in one forward pass. The default was chosen by measurement
   * on base DistilBERT with two single-thread workers (docs/benchmarks.md, "Serving"): bigger
   * batches pad more (padded graph) or pay attention's square cost over longer rows (packed).
   */
  readonly batchMaxItems: number;
  /**
   * BATCH_MAX_TOKENS: most tokens in one forward pass (padded: items × longest; packed: the
   * total). It bounds the attention scores a worker holds: tokens² × heads × 4 bytes.
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
   * text faster. An idle server never waits, so a lone request pays nothing. The default was
   * chosen by measurement (docs/benchmarks.md, "Serving"); 0 sends work the moment a worker
   * frees up.
   */
  readonly batchMaxDelayMs: number;
  /** QUEUE_MAX_ITEMS: texts waiting for the model beyond which requests get 429. */
  readonly queueMaxItems: number;
  /**
   * QUEUE_MAX_WAIT_MS: the queue also holds no more than the workers are estimated to finish in
   * this long at their recent speed (and at most half of REQUEST_TIMEOUT_MS), so what is
   * accepted is answered in time and the rest is refused at once with a Retry-After that says
   * when there will be room, instead of waiting to time out. A bound in work, not items: the
   * same count of texts is seconds of work for a base model and milliseconds for the bundled
   * one. 0: QUEUE_MAX_ITEMS alone.
   */
  readonly queueMaxWaitMs: number;
  /** REQUEST_TIMEOUT_MS: a request still unanswered after this gets 504; its work is dropped. */
  readonly requestTimeoutMs: number;

  /**
   * CACHE_HITS_HEADER=1: answer /predict with `x-cache-hits` (texts served from the cache). Off
   * by default: it tells any client whether someone else sent the same text within the TTL.
   * Operators read the same count from /metrics.
   */
  readonly cacheHitsHeader: boolean;
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
  /**
   * REDIS_CIRCUIT_RESET_MS: once Redis has failed or timed out on half the commands of the
   * last 10 s, how long it is skipped before one command probes it again.
   */
  readonly redisCircuitResetMs: number;
  /** CACHE_TTL_SECONDS: lifetime of a cached result in Redis and in memory; 0 = no expiry. */
  readonly cacheTtlSeconds: number;

  /**
   * HEADERS_TIMEOUT_MS: a client must send its request headers within this, or it gets 408 and
   * the connection closes: many connections trickling headers a byte at a time (slowloris)
   * cannot hold the service's sockets.
   */
  readonly headersTimeoutMs: number;
  /**
   * RECEIVE_TIMEOUT_MS: the whole request, headers and body, must arrive within this (408
   * otherwise): a body sent a byte a second cannot keep a request open for minutes.
   */
  readonly receiveTimeoutMs: number;
  /**
   * KEEP_ALIVE_TIMEOUT_MS: how long an idle keep-alive connection stays open. Longer than the
   * idle timeout of the load balancer in front (60 s for most), so the balancer, not the
   * service, closes idle connections and never sends on one the service just closed.
   */
  readonly keepAliveTimeoutMs: number;
  /**
   * MAX_CONNECTIONS: open connections beyond which new ones are closed at once, below the
   * process's file-descriptor limit (containers often allow 1024) so the model files, workers
   * and Redis always have theirs.
   */
  readonly maxConnections: number;
  /**
   * LINGERING_MAX_BYTES: a request answered before its body has arrived (413, 401, 403, 429)
   * has the rest of its body read and discarded, up to this many bytes, before its connection
   * closes (nginx's lingering close). Closing at once would reset a connection the client is
   * still writing to, and the client would see ECONNRESET or EPIPE instead of the answer.
   * Past it the connection is cut, so a client cannot make the service read forever.
   */
  readonly lingeringMaxBytes: number;
  /** LINGERING_TIME_MS: the same discarding lasts at most this long (nginx's lingering_time). */
  readonly lingeringTimeMs: number;

  /**
   * DRAIN_DELAY_MS: on SIGTERM, how long the service goes on serving (readiness already 503,
   * every answer closing its connection) before it stops accepting: the time a balancer needs
   * to take it out of rotation, so no client meets a refused connection. In Kubernetes a
   * preStop sleep does the same; use one or the other. Counted within SHUTDOWN_GRACE_MS.
   */
  readonly drainDelayMs: number;
  /** SHUTDOWN_GRACE_MS: on SIGTERM, longest wait for in-flight requests before exit. */
  readonly shutdownGraceMs: number;

  /**
   * API_KEYS_SHA256 (comma-separated) and API_KEYS_FILE (one per line, `#` comments): the
   * sha256 hex digests of the keys the model routes accept, each optionally `name:digest` so
   * logs and rate limits name the client without the key. Only digests are configured, so a
   * leaked setting or log grants nothing. Empty (the default): the model routes are open.
   */
  readonly apiKeys: readonly ApiKeyDigest[];
  /** METRICS_REQUIRE_KEY=1: /metrics asks for a key too (needs API keys); /health never does. */
  readonly metricsRequireKey: boolean;
  /** DOCS_REQUIRE_KEY=1: /docs and /openapi.json ask for a key too (needs API keys). */
  readonly docsRequireKey: boolean;
  /**
   * RATE_LIMIT_PER_MINUTE: requests to the model routes one client may send per minute, counted
   * per API key name (keys on) or per client address; in Redis when REDIS_URL is set, so the
   * limit holds across replicas. 0 (the default) turns it off.
   */
  readonly rateLimitPerMinute: number;
  /**
   * CORS_ORIGINS: comma-separated exact origins (`https://app.example.com`) whose pages may call
   * the API from a browser. Empty (the default): no CORS headers, and the model routes refuse
   * requests a browser sends from another site's page (403), `text/plain` posts included.
   */
  readonly corsOrigins: readonly string[];
}

/** One accepted API key: the sha256 of the key, as 64 lowercase hex digits, and who holds it. */
export interface ApiKeyDigest {
  /** Named in logs and rate-limit keys; `key-` + the digest's first 8 digits when unnamed. */
  readonly name: string;
  readonly sha256: string;
}

type Env = Readonly<Record<string, string | undefined>>;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** pino's levels, `silent` included. */
export type LogLevel = (typeof LOG_LEVELS)[number];

const whole = (fallback: number, minimum: number, maximum = Number.MAX_SAFE_INTEGER) =>
  Type.Integer({ minimum, maximum, default: fallback });
const flag = (fallback: boolean) => Type.Boolean({ default: fallback });
const oneOf = <T extends string>(values: readonly T[], fallback: T) =>
  Type.Union(
    values.map((value) => Type.Literal(value)),
    { default: fallback },
  );
const text = () => Type.Optional(Type.String({ minLength: 1 }));

/**
 * The environment the service reads, as one schema: every variable, its type, bounds and
 * default (the Config fields above say what each is for). Checked as a whole, so a start with
 * several bad variables names all of them at once.
 */
const ENV_SCHEMA = Type.Object({
  HOST: Type.String({ default: '0.0.0.0' }),
  PORT: whole(8000, 0, 65535),
  LOG_LEVEL: oneOf(LOG_LEVELS, 'info'),
  MODEL_DIR: text(),
  MODEL_ID: text(),
  // One URL path segment: letters, digits, `.`, `_`, `-` (Triton's model names are folders).
  MODEL_NAME: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$' })),
  MODEL_CACHE: text(),
  MODEL_DTYPE: oneOf(['fp32', 'int8'] as const, 'fp32'),
  HF_ENDPOINT: Type.String({ default: 'https://huggingface.co' }),
  HF_TOKEN: text(),
  HF_HUB_OFFLINE: flag(false),
  MAX_TEXTS_PER_REQUEST: whole(256, 1),
  MAX_TEXT_CHARS: whole(0, 0),
  BODY_LIMIT_BYTES: whole(4 * 1024 * 1024, 1024),
  EXPLAIN_MAX_TEXTS: whole(8, 1, 256),
  EXPLAIN_MAX_WORDS: whole(64, 1, 512),
  INFERENCE_WORKERS: whole(cpuBudget(), 1, 64),
  INFERENCE_THREADS: whole(1, 1, 64),
  BATCH_MAX_ITEMS: whole(8, 1, 4096),
  BATCH_MAX_TOKENS: whole(1024, 512),
  BATCH_PACKING: flag(true),
  BATCH_MAX_PADDING_PCT: whole(20, 0, 100),
  BATCH_MAX_DELAY_MS: whole(10, 0, 10_000),
  QUEUE_MAX_ITEMS: whole(2048, 1),
  QUEUE_MAX_WAIT_MS: whole(2_000, 0),
  REQUEST_TIMEOUT_MS: whole(30_000, 1),
  CACHE_HITS_HEADER: flag(false),
  CACHE_MEMORY_BYTES: whole(64 * 1024 * 1024, 0),
  REDIS_URL: text(),
  REDIS_KEY_PREFIX: Type.String({ default: 'sentiment:v1:' }),
  REDIS_TIMEOUT_MS: whole(100, 1),
  REDIS_CIRCUIT_RESET_MS: whole(2_000, 10),
  CACHE_TTL_SECONDS: whole(60, 0),
  SHUTDOWN_GRACE_MS: whole(10_000, 0),
  DRAIN_DELAY_MS: whole(0, 0),
  HEADERS_TIMEOUT_MS: whole(10_000, 1),
  RECEIVE_TIMEOUT_MS: whole(30_000, 1),
  KEEP_ALIVE_TIMEOUT_MS: whole(72_000, 1),
  MAX_CONNECTIONS: whole(512, 1),
  LINGERING_MAX_BYTES: whole(64 * 1024 * 1024, 0),
  LINGERING_TIME_MS: whole(5_000, 0),
  API_KEYS_SHA256: text(),
  API_KEYS_FILE: text(),
  METRICS_REQUIRE_KEY: flag(false),
  DOCS_REQUIRE_KEY: flag(false),
  RATE_LIMIT_PER_MINUTE: whole(0, 0),
  CORS_ORIGINS: text(),
  HF_HUB_CACHE: text(),
  HF_HOME: text(),
  XDG_CACHE_HOME: text(),
});
type EnvValues = Static<typeof ENV_SCHEMA>;

const TRUE = new Set(['1', 'true', 'yes', 'on']);
const FALSE = new Set(['0', 'false', 'no', 'off']);

/**
 * A variable's text as its schema's type: strictly (`1e3` and `1.5` are not whole numbers,
 * as TypeBox's own lenient conversion would make them). Text that does not convert stays
 * text, and the schema check reports it.
 */
function convert(schema: TSchema, raw: string): unknown {
  if (schema.type === 'integer') return /^\d+$/.test(raw) ? Number(raw) : raw;
  if (schema.type === 'boolean') {
    const word = raw.toLowerCase();
    return TRUE.has(word) ? true : FALSE.has(word) ? false : raw;
  }
  return raw;
}

/** One line for a variable the schema refused, worded for the person who set it. */
function complaint(name: string, schema: TSchema, value: unknown): string {
  if (schema.type === 'integer') {
    return typeof value === 'number'
      ? `${name} must be between ${schema.minimum} and ${schema.maximum}, got ${value}`
      : `${name} must be a whole number, got '${String(value)}'`;
  }
  if (schema.type === 'boolean') return `${name} must be 1 or 0, got '${String(value)}'`;
  if (Array.isArray(schema.anyOf)) {
    const allowed = (schema.anyOf as { const: string }[]).map((option) => option.const);
    return `${name} must be one of ${allowed.join(', ')}, got '${String(value)}'`;
  }
  return `${name} is not valid, got '${String(value)}'`;
}

/** The environment checked against ENV_SCHEMA; throws one ConfigError naming every bad variable. */
function readEnv(env: Env): EnvValues {
  const values: Record<string, unknown> = {};
  for (const [name, schema] of Object.entries(ENV_SCHEMA.properties)) {
    const raw = env[name]?.trim();
    if (raw !== undefined && raw !== '') values[name] = convert(schema, raw);
  }
  const checked = Value.Default(ENV_SCHEMA, values);
  const problems = new Map<string, string>();
  for (const error of Value.Errors(ENV_SCHEMA, checked)) {
    const name = error.path.slice(1);
    const schema = ENV_SCHEMA.properties[name as keyof EnvValues];
    if (!schema || problems.has(name)) continue;
    problems.set(name, complaint(name, schema, error.value));
  }
  if (problems.size > 0) throw new ConfigError([...problems.values()].join('; '));
  return checked as EnvValues;
}

/** `digest` or `name:digest` entries (API_KEYS_SHA256, API_KEYS_FILE), refused with their source. */
function parseApiKeys(entries: readonly string[], source: string): ApiKeyDigest[] {
  return entries.map((entry, index) => {
    const match = /^(?:([\w.@-]{1,64}):)?([0-9a-fA-F]{64})$/.exec(entry);
    if (!match) {
      throw new ConfigError(
        `${source}: entry ${index + 1} is not a sha256 hex digest or name:digest (see docs/security.md)`,
      );
    }
    const sha256 = (match[2] as string).toLowerCase();
    return { name: match[1] ?? `key-${sha256.slice(0, 8)}`, sha256 };
  });
}

/** The keys of API_KEYS_SHA256 and API_KEYS_FILE together. */
function readApiKeys(list: string | undefined, file: string | undefined): ApiKeyDigest[] {
  const split = (value: string, separator: RegExp) =>
    value
      .split(separator)
      .map((entry) => entry.replace(/#.*/, '').trim())
      .filter((entry) => entry !== '');
  let lines: string[] = [];
  if (file) {
    try {
      lines = split(readFileSync(file, 'utf8'), /\r?\n/);
    } catch (error) {
      throw new ConfigError(`API_KEYS_FILE cannot be read: ${(error as Error).message}`);
    }
  }
  return [
    ...parseApiKeys(list ? split(list, /,/) : [], 'API_KEYS_SHA256'),
    ...parseApiKeys(lines, 'API_KEYS_FILE'),
  ];
}

/** CORS_ORIGINS as a list; each must be an origin exactly as a browser sends it. */
function readOrigins(list: string | undefined): string[] {
  const origins = (list ?? '').split(',').map((origin) => origin.trim());
  return origins
    .filter((origin) => origin !== '')
    .map((origin) => {
      let exact: string | undefined;
      try {
        exact = new URL(origin).origin;
      } catch {
        exact = undefined;
      }
      if (exact !== origin || exact === 'null') {
        throw new ConfigError(
          `CORS_ORIGINS must list exact origins like https://app.example.com, got '${origin.slice(0, 100)}'`,
        );
      }
      return origin;
    });
}

/**
 * MODEL_NAME's default: the last path segment of MODEL_ID (its `@revision` cut) or MODEL_DIR,
 * with any character a name may not hold replaced by `-`; `sentiment` for the bundled model.
 */
function defaultModelName(modelId: string | undefined, modelDir: string | undefined): string {
  const source = modelId?.replace(/@.*$/, '') ?? modelDir;
  const segment =
    source
      ?.replace(/[\\/]+$/, '')
      .split(/[\\/]/)
      .pop() ?? '';
  const name = segment.replace(/[^A-Za-z0-9._-]/g, '-').replace(/^[^A-Za-z0-9]+/, '');
  return name.slice(0, 128) || 'sentiment';
}

/** Reads and checks every setting; throws ConfigError naming every bad variable. */
export function loadConfig(env: Env): Config {
  const e = readEnv(env);
  const config: Config = {
    host: e.HOST,
    port: e.PORT,
    logLevel: e.LOG_LEVEL,
    modelDir: e.MODEL_DIR,
    modelId: e.MODEL_ID,
    modelName: e.MODEL_NAME ?? defaultModelName(e.MODEL_ID, e.MODEL_DIR),
    modelCache:
      e.MODEL_CACHE ??
      e.HF_HUB_CACHE ??
      join(e.HF_HOME ?? join(e.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'huggingface'), 'hub'),
    modelDtype: e.MODEL_DTYPE,
    hfEndpoint: e.HF_ENDPOINT.replace(/\/+$/, ''),
    hfToken: e.HF_TOKEN,
    hfOffline: e.HF_HUB_OFFLINE,
    maxTextsPerRequest: e.MAX_TEXTS_PER_REQUEST,
    maxTextChars: e.MAX_TEXT_CHARS,
    bodyLimitBytes: e.BODY_LIMIT_BYTES,
    explainMaxTexts: e.EXPLAIN_MAX_TEXTS,
    explainMaxWords: e.EXPLAIN_MAX_WORDS,
    inferenceWorkers: e.INFERENCE_WORKERS,
    inferenceThreads: e.INFERENCE_THREADS,
    batchMaxItems: e.BATCH_MAX_ITEMS,
    batchMaxTokens: e.BATCH_MAX_TOKENS,
    batchPacking: e.BATCH_PACKING,
    batchMaxPaddingPct: e.BATCH_MAX_PADDING_PCT,
    batchMaxDelayMs: e.BATCH_MAX_DELAY_MS,
    queueMaxItems: e.QUEUE_MAX_ITEMS,
    queueMaxWaitMs: e.QUEUE_MAX_WAIT_MS,
    requestTimeoutMs: e.REQUEST_TIMEOUT_MS,
    cacheHitsHeader: e.CACHE_HITS_HEADER,
    cacheMemoryBytes: e.CACHE_MEMORY_BYTES,
    redisUrl: e.REDIS_URL,
    redisKeyPrefix: e.REDIS_KEY_PREFIX,
    redisTimeoutMs: e.REDIS_TIMEOUT_MS,
    redisCircuitResetMs: e.REDIS_CIRCUIT_RESET_MS,
    cacheTtlSeconds: e.CACHE_TTL_SECONDS,
    shutdownGraceMs: e.SHUTDOWN_GRACE_MS,
    drainDelayMs: e.DRAIN_DELAY_MS,
    headersTimeoutMs: e.HEADERS_TIMEOUT_MS,
    receiveTimeoutMs: e.RECEIVE_TIMEOUT_MS,
    keepAliveTimeoutMs: e.KEEP_ALIVE_TIMEOUT_MS,
    maxConnections: e.MAX_CONNECTIONS,
    lingeringMaxBytes: e.LINGERING_MAX_BYTES,
    lingeringTimeMs: e.LINGERING_TIME_MS,
    apiKeys: readApiKeys(e.API_KEYS_SHA256, e.API_KEYS_FILE),
    metricsRequireKey: e.METRICS_REQUIRE_KEY,
    docsRequireKey: e.DOCS_REQUIRE_KEY,
    rateLimitPerMinute: e.RATE_LIMIT_PER_MINUTE,
    corsOrigins: readOrigins(e.CORS_ORIGINS),
  };
  if (config.modelDir && config.modelId) {
    throw new ConfigError('set MODEL_DIR or MODEL_ID, not both');
  }
  if (config.headersTimeoutMs > config.receiveTimeoutMs) {
    throw new ConfigError('HEADERS_TIMEOUT_MS must not be longer than RECEIVE_TIMEOUT_MS');
  }
  if ((config.metricsRequireKey || config.docsRequireKey) && config.apiKeys.length === 0) {
    throw new ConfigError(
      'METRICS_REQUIRE_KEY and DOCS_REQUIRE_KEY need API keys (API_KEYS_SHA256 or API_KEYS_FILE)',
    );
  }
  return Object.freeze(config);
}
