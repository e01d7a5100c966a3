import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  defaultModelName,
  readApiKeys,
  readEnv,
  readOrigins,
  readTrustedProxies,
  type ApiKeyDigest,
  type Env,
  type LogLevel,
} from './config-env.js';
import { ConfigError } from './errors.js';

export type { ApiKeyDigest, LogLevel } from './config-env.js';

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
  /**
   * LOG_TEXTS=1: log each request's body (its texts) at info, on a line with the request's
   * id. Off by default: nothing the service logs then holds a text, since texts are what
   * users wrote and logs travel further than answers (http/text-log.ts).
   */
  readonly logTexts: boolean;

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
   * free may wait for company (as many texts as were queued plus as many as it has just
   * answered, at most BATCH_MAX_ITEMS) before it takes what is queued. The clients it just
   * answered are usually about to send again, and a full batch computes each text faster. An
   * idle server never waits, so a lone request pays nothing. The default was chosen by
   * measurement (docs/benchmarks.md, "Serving" and "int8"); 0 sends work the moment a worker
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
   * last 10 s, or four in a row, how long it is skipped before one command probes it again.
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
  /**
   * TRUST_PROXY: the proxies whose `X-Forwarded-For`, `-Host` and `-Proto` are believed
   * (addresses, CIDR ranges, `loopback`, `linklocal`, `uniquelocal`, comma-separated; `none`).
   * The client's address, which the rate limit counts and logs name, is the right-most
   * forwarded address not sent by a trusted proxy: a client can write any X-Forwarded-For it
   * likes, but cannot make an untrusted hop trusted. Default `loopback`: a sidecar or a proxy
   * on the same host (Istio's sidecar connects from 127.0.0.6) is believed, a client that
   * reaches the port directly is not. A gateway on another host must be listed (its address
   * or its network, e.g. the pod CIDR) or every client behind it counts as the gateway.
   */
  readonly trustProxy: readonly string[];

  /**
   * MONITOR: 1 (default) watches what the service is sent and what it answers against a
   * reference (input descriptors, predictions, the model's [CLS] view; src/monitoring/) and
   * serves GET /monitoring and POST /feedback; 0 computes no feature, keeps no window, and
   * those two routes are not served (404), so /predict pays nothing for them.
   */
  readonly monitor: boolean;
  /**
   * MONITOR_REFERENCE: the reference profile to compare with (`sentiment-api profile` writes
   * one). Unset: the model folder's `monitoring/reference-profile.json` when it has one, else
   * the first MONITOR_REFERENCE_SIZE texts served become the reference (and /monitoring says
   * so). `traffic`: those first texts even when the folder has a profile, for traffic unlike
   * the data the profile was built on (another domain than the model's training set).
   */
  readonly monitorReference: string | undefined;
  /** MONITOR_REFERENCE_SIZE: with no profile, how many of the first texts served become the reference. */
  readonly monitorReferenceSize: number;
  /**
   * MONITOR_WINDOW_SECONDS: the live window is the texts of this many last seconds (capped by
   * MONITOR_WINDOW_MAX_TEXTS): long enough to hold a verdict's worth of texts at low traffic,
   * short enough that a shift shows within minutes.
   */
  readonly monitorWindowSeconds: number;
  /** MONITOR_WINDOW_MAX_TEXTS: the window keeps at most this many most recent texts (memory bound). */
  readonly monitorWindowMaxTexts: number;
  /**
   * MONITOR_MIN_TEXTS: no verdict (status `warming_up`) on fewer texts in the window: on
   * unchanged data a PSI past 0.1 is common at 100 texts and 10 bins, rare at 1,000.
   */
  readonly monitorMinTexts: number;
  /** MONITOR_PSI_WARNING: a feature's PSI past this is `drift` (the conventional 0.1 band). */
  readonly monitorPsiWarning: number;
  /** MONITOR_PSI_ALERT: a feature's PSI past this is `alert` (the conventional 0.25 band). */
  readonly monitorPsiAlert: number;
  /**
   * MONITOR_CONSECUTIVE: a status changes only after it held over this many evaluations in a
   * row, so one noisy window cannot flap an alert.
   */
  readonly monitorConsecutive: number;
  /** MONITOR_MIN_ACCURACY: live accuracy on feedback below this is `alert`, reason `retrain`. */
  readonly monitorMinAccuracy: number;
  /**
   * MONITOR_MAX_ACCURACY_DROP: so is live accuracy more than this below the reference's
   * (the profile's labelled accuracy), whatever the floor.
   */
  readonly monitorMaxAccuracyDrop: number;
  /** MONITOR_MIN_FEEDBACK: no accuracy verdict on fewer labelled outcomes in the window. */
  readonly monitorMinFeedback: number;
  /** MONITOR_FEEDBACK_WINDOW: live accuracy is computed over this many latest outcomes. */
  readonly monitorFeedbackWindow: number;
}

/** Reads and checks every setting; throws ConfigError naming every bad variable. */
export function loadConfig(env: Env): Config {
  const e = readEnv(env);
  const config: Config = {
    host: e.HOST,
    port: e.PORT,
    logLevel: e.LOG_LEVEL,
    logTexts: e.LOG_TEXTS,
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
    trustProxy: readTrustedProxies(e.TRUST_PROXY),
    monitor: e.MONITOR,
    monitorReference: e.MONITOR_REFERENCE,
    monitorReferenceSize: e.MONITOR_REFERENCE_SIZE,
    monitorWindowSeconds: e.MONITOR_WINDOW_SECONDS,
    monitorWindowMaxTexts: e.MONITOR_WINDOW_MAX_TEXTS,
    monitorMinTexts: e.MONITOR_MIN_TEXTS,
    monitorPsiWarning: e.MONITOR_PSI_WARNING,
    monitorPsiAlert: e.MONITOR_PSI_ALERT,
    monitorConsecutive: e.MONITOR_CONSECUTIVE,
    monitorMinAccuracy: e.MONITOR_MIN_ACCURACY,
    monitorMaxAccuracyDrop: e.MONITOR_MAX_ACCURACY_DROP,
    monitorMinFeedback: e.MONITOR_MIN_FEEDBACK,
    monitorFeedbackWindow: e.MONITOR_FEEDBACK_WINDOW,
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
  if (config.monitorPsiWarning >= config.monitorPsiAlert) {
    throw new ConfigError('MONITOR_PSI_WARNING must be below MONITOR_PSI_ALERT');
  }
  if (config.monitorMinTexts > config.monitorWindowMaxTexts) {
    throw new ConfigError('MONITOR_MIN_TEXTS must not be above MONITOR_WINDOW_MAX_TEXTS');
  }
  if (config.monitorMinFeedback > config.monitorFeedbackWindow) {
    throw new ConfigError('MONITOR_MIN_FEEDBACK must not be above MONITOR_FEEDBACK_WINDOW');
  }
  return Object.freeze(config);
}
