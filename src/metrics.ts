import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { BatcherObserver } from './engine/batcher.js';
import type { ClassifierObserver } from './engine/classifier.js';
import type { CacheObserver, CacheTier } from './cache/cache.js';
import { ERROR_CATALOGUE, type ErrorCode } from './errors.js';

const PREFIX = 'sentiment_';

// Buckets per quantity (as TEI's prometheus.rs): durations geometric from 0.5 ms to ~16 s,
// counts in powers of two.
const SECONDS = [
  0.0005, 0.001, 0.002, 0.004, 0.008, 0.016, 0.032, 0.064, 0.128, 0.256, 0.512, 1.024, 2.048, 4.096,
  8.192, 16.384,
];
/**
 * Whether an error answer is a refusal: the service declined the request (a client mistake,
 * access, overload, or draining), as opposed to failing at it (5xx) or the client leaving.
 */
function isRefusal(status: number, type: string): boolean {
  if (type === 'shutting_down') return true;
  return status >= 400 && status < 500 && type !== 'aborted';
}

/** The `type` label values: every refusal code of the catalogue, and `other` for the rest. */
const REFUSAL_TYPES: ReadonlySet<string> = new Set(
  (Object.keys(ERROR_CATALOGUE) as ErrorCode[]).filter((code) =>
    isRefusal(ERROR_CATALOGUE[code].status, code),
  ),
);

const POWERS_OF_TWO = (max: number): number[] => {
  const buckets: number[] = [];
  for (let b = 1; b <= max; b *= 2) buckets.push(b);
  return buckets;
};

/**
 * Every metric of the service in one registry (one per app, so tests can build several).
 * Implements the observer interfaces of the engine and cache, which never import prom-client.
 */
export class Metrics implements BatcherObserver, ClassifierObserver, CacheObserver {
  readonly registry = new Registry();

  readonly httpDuration = new Histogram({
    name: `${PREFIX}http_request_duration_seconds`,
    help: 'HTTP request latency by route, method and status',
    labelNames: ['route', 'method', 'status'] as const,
    buckets: SECONDS,
    registers: [this.registry],
  });
  readonly texts = new Counter({
    name: `${PREFIX}texts_total`,
    help: 'Texts received in /predict requests',
    registers: [this.registry],
  });
  /**
   * 429 overloaded answers by where the request was refused: before_body (its body never
   * read, parsed or tokenized) or after_parse (refused when its texts asked for queue room).
   */
  readonly overloadRefusals = new Counter({
    name: `${PREFIX}overload_refusals_total`,
    help: 'Requests refused 429 overloaded, by stage: before_body (never read) or after_parse',
    labelNames: ['stage'] as const,
    registers: [this.registry],
  });
  /**
   * Refused requests by the error `type` of their answer (the first item of its `detail`; on
   * the `/v2/...` routes, the type the protocol's message was made from). A sudden rise of one
   * type is a client whose request shape changed. Every refusal type is exported from the
   * start at 0, so a first refusal shows as a rise; unknown types are `other`.
   */
  private readonly refusals = new Counter({
    name: `${PREFIX}request_refusals_total`,
    help: 'Refused requests (4xx answers but 499, and 503 shutting_down) by the error type of the answer',
    labelNames: ['type'] as const,
    registers: [this.registry],
  });
  /** Requests received and not yet answered (or given up by their client), every route. */
  readonly httpInFlight = new Gauge({
    name: `${PREFIX}http_requests_in_flight`,
    help: 'HTTP requests received and not yet answered',
    registers: [this.registry],
  });
  private readonly modelLoad = new Gauge({
    name: `${PREFIX}model_load_seconds`,
    help: 'Seconds to resolve the model at start (a Hub pull and conversion when needed) and read its tokenizer',
    registers: [this.registry],
  });
  private readonly modelWarmup = new Gauge({
    name: `${PREFIX}model_warmup_seconds`,
    help: 'Seconds for the inference workers to start, load the graph and run their warm-up batch',
    registers: [this.registry],
  });
  private readonly tokenizeDuration = new Histogram({
    name: `${PREFIX}tokenize_duration_seconds`,
    help: 'Time to tokenize the texts of one request the model computes (one call per request with cache misses)',
    buckets: SECONDS,
    registers: [this.registry],
  });
  private readonly cacheLookups = new Counter({
    name: `${PREFIX}cache_lookups_total`,
    help: 'Cache lookups per tier and result (hit or miss); hit ratio = hit / (hit + miss)',
    labelNames: ['tier', 'result'] as const,
    registers: [this.registry],
  });
  private readonly cacheErrors = new Counter({
    name: `${PREFIX}cache_errors_total`,
    help: 'Failed cache operations per tier (the request still succeeds)',
    labelNames: ['tier'] as const,
    registers: [this.registry],
  });
  private readonly cacheRejected = new Counter({
    name: `${PREFIX}cache_rejected_total`,
    help: 'Cache entries found but refused as malformed (served as misses) per tier',
    labelNames: ['tier'] as const,
    registers: [this.registry],
  });
  private readonly cacheCircuitOpen = new Gauge({
    name: `${PREFIX}cache_circuit_open`,
    help: '1 while the tier is skipped because it kept failing or hanging (circuit open), else 0',
    labelNames: ['tier'] as const,
    registers: [this.registry],
  });
  /** The rate limiter's Redis (http/rate-limit-store.ts): 1 while it is skipped, else 0. */
  readonly rateLimitCircuitOpen = new Gauge({
    name: `${PREFIX}rate_limit_circuit_open`,
    help: "1 while the rate limiter's Redis is skipped (circuit open; each replica counts alone), else 0",
    registers: [this.registry],
  });
  /** Rate-limited requests by where they were counted: redis (shared) or local (this replica). */
  readonly rateLimitCounted = new Counter({
    name: `${PREFIX}rate_limit_counted_total`,
    help: 'Requests counted by the rate limiter, by store: redis (all replicas) or local (Redis failed or skipped)',
    labelNames: ['store'] as const,
    registers: [this.registry],
  });
  private readonly coalescedTexts = new Counter({
    name: `${PREFIX}coalesced_texts_total`,
    help: 'Texts answered by joining an identical text already being computed',
    registers: [this.registry],
  });
  readonly computedTexts = new Counter({
    name: `${PREFIX}computed_texts_total`,
    help: 'Texts sent to the model (cache misses not coalesced)',
    registers: [this.registry],
  });
  private readonly droppedItems = new Counter({
    name: `${PREFIX}dropped_texts_total`,
    help: 'Queued texts dropped before inference because their client went away or timed out',
    registers: [this.registry],
  });
  private readonly modelInfoGauge = new Gauge({
    name: `${PREFIX}model_info`,
    help: 'The model served (always 1): where it came from, its revision or digest, dtype, graph file, ONNX Runtime version',
    labelNames: ['source', 'revision', 'dtype', 'graph', 'runtime'] as const,
    registers: [this.registry],
  });
  private readonly batchFailures = new Counter({
    name: `${PREFIX}batch_failures_total`,
    help: 'Forward passes that failed; each failed every request that had a text in it',
    registers: [this.registry],
  });
  private readonly batchSize = new Histogram({
    name: `${PREFIX}batch_size`,
    help: 'Texts per forward pass',
    buckets: POWERS_OF_TWO(1024),
    registers: [this.registry],
  });
  private readonly batchTokens = new Histogram({
    name: `${PREFIX}batch_padded_tokens`,
    help: 'Tokens computed per forward pass, padding included (rows x padded length, or the packed total)',
    buckets: POWERS_OF_TWO(65536),
    registers: [this.registry],
  });
  private readonly paddingTokens = new Counter({
    name: `${PREFIX}padding_tokens_total`,
    help: 'Padding tokens computed and thrown away',
    registers: [this.registry],
  });
  private readonly realTokens = new Counter({
    name: `${PREFIX}tokens_total`,
    help: 'Real (non-padding) tokens computed',
    registers: [this.registry],
  });
  private readonly inferenceDuration = new Histogram({
    name: `${PREFIX}inference_duration_seconds`,
    help: 'Time of one forward pass in a worker, including the hand-off',
    buckets: SECONDS,
    registers: [this.registry],
  });
  private readonly queueWait = new Histogram({
    name: `${PREFIX}queue_wait_seconds`,
    help: 'Time the oldest text of a batch waited in the queue',
    buckets: SECONDS,
    registers: [this.registry],
  });
  private readonly queueDepthGauge = new Gauge({
    name: `${PREFIX}queue_depth`,
    help: 'Texts waiting for a worker',
    registers: [this.registry],
  });

  constructor() {
    // Node's defaults include event-loop delay percentiles: the proof that inference is off-thread.
    collectDefaultMetrics({
      register: this.registry,
      prefix: PREFIX,
      eventLoopMonitoringPrecision: 10,
    });
    for (const type of [...REFUSAL_TYPES, 'other']) this.refusals.inc({ type }, 0);
  }

  hits(tier: CacheTier, count: number): void {
    if (count > 0) this.cacheLookups.inc({ tier, result: 'hit' }, count);
  }
  misses(tier: CacheTier, count: number): void {
    if (count > 0) this.cacheLookups.inc({ tier, result: 'miss' }, count);
  }
  error(tier: CacheTier): void {
    this.cacheErrors.inc({ tier });
  }
  circuit(tier: CacheTier, open: boolean): void {
    this.cacheCircuitOpen.set({ tier }, open ? 1 : 0);
  }
  rejected(tier: CacheTier, count: number): void {
    this.cacheRejected.inc({ tier }, count);
  }
  coalesced(count: number): void {
    this.coalescedTexts.inc(count);
  }
  computed(count: number): void {
    this.computedTexts.inc(count);
  }
  dropped(count: number): void {
    this.droppedItems.inc(count);
  }
  /** Records the model being served; one series, set once at start. */
  modelInfo(labels: {
    source: string;
    revision: string;
    dtype: string;
    graph: string;
    runtime: string;
  }): void {
    this.modelInfoGauge.set(labels, 1);
  }
  failed(): void {
    this.batchFailures.inc();
  }
  tokenized(_texts: number, ms: number): void {
    this.tokenizeDuration.observe(ms / 1000);
  }
  /** An error answer was sent; counted when it is a refusal (see isRefusal). */
  answeredError(status: number, type: string): void {
    if (!isRefusal(status, type)) return;
    this.refusals.inc({ type: REFUSAL_TYPES.has(type) ? type : 'other' });
  }
  /** How long start-up took: resolving the model, then starting and warming up the workers. */
  startUp(loadSeconds: number, warmupSeconds: number): void {
    this.modelLoad.set(loadSeconds);
    this.modelWarmup.set(warmupSeconds);
  }
  queueDepth(items: number): void {
    this.queueDepthGauge.set(items);
  }
  batch(
    rows: number,
    computedTokens: number,
    realTokens: number,
    queueWaitMs: number,
    runMs: number,
  ): void {
    this.batchSize.observe(rows);
    this.batchTokens.observe(computedTokens);
    this.realTokens.inc(realTokens);
    this.paddingTokens.inc(computedTokens - realTokens);
    this.queueWait.observe(queueWaitMs / 1000);
    this.inferenceDuration.observe(runMs / 1000);
  }
}
