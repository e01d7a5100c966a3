import { setTimeout as delay } from 'node:timers/promises';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { buildApp, type Lifecycle } from './app.js';
import type { TieredCache } from './cache/cache.js';
import { openResultCache } from './cache/open-cache.js';
import { closeRedisClient, openRedisClient } from './cache/redis.js';
import type { Config } from './config.js';
import { startEngine, type Engine, type EngineObserver } from './engine/engine.js';
import { ModelTokenizer } from './engine/tokenizer.js';
import { Metrics } from './metrics.js';
import { registerMonitorMetrics } from './monitoring-metrics.js';
import type { Monitor } from './monitoring/monitor.js';
import { loadReference, openMonitor } from './monitor-setup.js';
import { resolveModel, type ResolvedModel } from './model/resolve.js';
import { ONNX_RUNTIME_VERSION } from './model/session.js';

/** The running pieces of one service, and the one way to stop them. */
export interface Service {
  readonly config: Config;
  readonly model: ResolvedModel;
  readonly metrics: Metrics;
  readonly engine: Engine;
  /** The monitor (src/monitoring/); undefined with MONITOR=0. */
  readonly monitor: Monitor | undefined;
  /** Built and ready, never listening: main.ts listens, tests `inject` or listen on port 0. */
  readonly app: FastifyInstance;
  /**
   * Stops in the one safe order: HTTP first (no new requests; those in flight are answered),
   * then the engine drains what it has queued, then the workers and the cache connections
   * close. Past SHUTDOWN_GRACE_MS, what is still queued is answered 503 instead, and only
   * the forward passes already running are waited for: a worker is never torn down inside
   * ONNX Runtime (that aborts the process). Resolves to whether the grace period ran out.
   * Idempotent: a second call waits for the first.
   */
  close(): Promise<{ graceExpired: boolean }>;
}

/** What a caller may ask of the service beyond its Config. */
export interface ServiceOptions {
  /**
   * Have the workers return each text's [CLS] representation whatever the monitor needs
   * (`sentiment-api profile` fits its projection on them, through engine.batcher).
   */
  readonly representation?: boolean;
}

/**
 * The one composition root (used by main.ts, the CLI and the tests alike):
 * config → model → tokenizer → cache → engine → app. Whatever started before a step that
 * fails is stopped again, so a failed start leaves no worker or Redis connection behind.
 */
export async function startService(
  config: Config,
  log: Logger,
  options: ServiceOptions = {},
): Promise<Service> {
  const loading = performance.now();
  const model = await resolveModel(config, (line) => log.info(line));
  const tokenizer = ModelTokenizer.fromModelFiles(model.files, model.config.maxPositions);
  const loadSeconds = (performance.now() - loading) / 1000;
  const metrics = new Metrics();
  // Read before the workers start: they are asked for the [CLS] representation only when the
  // profile projects it.
  const reference = config.monitor ? loadReference(config, model) : undefined;
  let monitor: Monitor | undefined;
  let monitoredFeatures: readonly string[] = [];
  let cache: TieredCache | undefined;
  // The rate limit counts in the shared Redis, on a connection of its own: the cache's is
  // behind its circuit breaker and its key scheme. A Redis that is down lets requests through.
  const limiterRedis =
    config.redisUrl && config.rateLimitPerMinute > 0
      ? openRedisClient(
          {
            url: config.redisUrl,
            keyPrefix: config.redisKeyPrefix,
            commandTimeoutMs: config.redisTimeoutMs,
          },
          (state, detail) =>
            state === 'up'
              ? log.info(`redis rate limit up: ${detail}`)
              : log.warn(`redis rate limit down (each replica counts alone): ${detail}`),
        )
      : undefined;
  let engine: Engine | undefined;
  try {
    // A failed forward pass is counted (metrics) and logged here, once, not once per request.
    const observer: EngineObserver = {
      batch: (...args) => metrics.batch(...args),
      dropped: (count) => metrics.dropped(count),
      queueDepth: (items) => metrics.queueDepth(items),
      coalesced: (count) => metrics.coalesced(count),
      tokenized: (texts, ms) => metrics.tokenized(texts, ms),
      computed: (count) => metrics.computed(count),
      failed: (rows, error) => {
        metrics.failed();
        log.error({ err: error, rows }, `a forward pass failed; its ${rows} texts got 500`);
      },
    };
    const warming = performance.now();
    engine = await startEngine(config, {
      model,
      tokenizer,
      observer,
      representation:
        options.representation === true || reference?.profile.projection !== undefined,
      // Once the graph is known: what the monitor watches, and so what a cache entry holds.
      attach: (graph) => {
        const setup = config.monitor
          ? openMonitor(config, { model, tokenizer, reference, graph })
          : undefined;
        if (setup?.warning) log.warn(`monitor: ${setup.warning}`);
        monitor = setup?.monitor;
        monitoredFeatures = setup?.featureNames ?? [];
        // Truncation length is preprocessing that changes scores, and the feature layout what
        // an entry holds: both are part of every shared cache key.
        cache = openResultCache(
          config,
          `${model.fingerprint}:max${tokenizer.maxLength}:${setup?.cacheScope ?? 'no-features'}`,
          { classes: model.config.labels.length, features: setup?.features.length ?? 0 },
          metrics,
          (state, detail) =>
            state === 'up'
              ? log.info(`redis cache up: ${detail}`)
              : log.warn(`redis cache down (serving without it): ${detail}`),
        );
        return {
          cache,
          monitoring: setup && { features: setup.features, observer: setup.monitor },
        };
      },
    });
    metrics.startUp(loadSeconds, (performance.now() - warming) / 1000);
    metrics.modelInfo({
      source: model.source,
      revision: model.fingerprint,
      dtype: model.files.dtype,
      graph: engine.onnxPath,
      runtime: ONNX_RUNTIME_VERSION,
    });
    if (monitor) {
      registerMonitorMetrics(metrics, monitor, {
        psiWarning: config.monitorPsiWarning,
        psiAlert: config.monitorPsiAlert,
        labels: model.config.labels,
      });
    }
    const lifecycle: Lifecycle = { draining: false };
    const app = await buildApp(config, {
      labels: model.config.labels,
      lifecycle,
      classifier: engine.classifier,
      metrics,
      logger: log,
      rateLimitRedis: limiterRedis,
      monitor: monitor && { monitor, features: monitoredFeatures },
    });
    await app.ready();
    let closing: Promise<{ graceExpired: boolean }> | undefined;
    const running = engine;
    const runningCache = cache as TieredCache;
    return {
      config,
      model,
      metrics,
      engine: running,
      monitor,
      app,
      close: () =>
        (closing ??= (async () => {
          // Readiness turns 503 first; for DRAIN_DELAY_MS the service still serves (closing
          // each connection after its answer) while the balancer takes it out of rotation.
          lifecycle.draining = true;
          const drained = (async () => {
            if (config.drainDelayMs > 0) await delay(config.drainDelayMs);
            await app.close();
            await running.drain();
          })();
          let timer: NodeJS.Timeout | undefined;
          const graceExpired = await Promise.race([
            drained.then(() => false),
            new Promise<boolean>((resolve) => {
              timer = setTimeout(() => resolve(true), config.shutdownGraceMs);
            }),
          ]);
          clearTimeout(timer);
          if (graceExpired) {
            running.abandon();
            await drained;
          }
          await running.close();
          await runningCache.close();
          if (limiterRedis) await closeRedisClient(limiterRedis);
          return { graceExpired };
        })()),
    };
  } catch (error) {
    await engine?.close();
    await cache?.close();
    if (limiterRedis) await closeRedisClient(limiterRedis);
    throw error;
  }
}
