import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Config } from './config.js';
import { AppError, ShuttingDownError } from './errors.js';
import type { TextClassifier } from './engine/classifier.js';
import { registerAccessControl } from './http/access.js';
import { registerBodyParsers } from './http/body-parser.js';
import {
  answerUnknownExpectations,
  clientErrorHandler,
  frameworkErrors,
} from './http/client-errors.js';
import { registerEarlyRefusal } from './http/early-refusal.js';
import { registerErrorHandling } from './http/error-handler.js';
import { registerInFlight } from './http/in-flight.js';
import { lazyChildLoggerFactory } from './http/lazy-logger.js';
import { registerLingeringClose } from './http/lingering-close.js';
import { registerOpenApi } from './http/openapi.js';
import type { RateLimitRedis } from './http/rate-limit.js';
import { explainRoute } from './http/routes/explain.js';
import { feedbackRoute, type OutcomeObserver } from './http/routes/feedback.js';
import { healthRoute } from './http/routes/health.js';
import { metricsRoute } from './http/routes/metrics.js';
import { monitoringRoute, type MonitorView } from './http/routes/monitoring.js';
import { pageRoute } from './http/routes/page.js';
import { predictRoute } from './http/routes/predict.js';
import { readyRoute } from './http/routes/ready.js';
import { registerRequestIdEcho, requestId } from './http/request-id.js';
import { registerBrowserSecurity } from './http/security.js';
import { registerTextLog } from './http/text-log.js';
import { openInferenceRoutes } from './http/v2/routes.js';
import type { Metrics } from './metrics.js';

/**
 * The layers below HTTP, built by service.ts and handed to the app. The classifier is an
 * interface, so an HTTP test can put a fake behind the real routes and error handler.
 */
export interface AppDeps {
  readonly classifier: TextClassifier;
  readonly metrics: Metrics;
  /** The process's pino logger; false silences logs (tests). */
  readonly logger: FastifyBaseLogger | false;
  /** Where the rate limit counts when REDIS_URL is set (service.ts opens it); else in memory. */
  readonly rateLimitRedis?: RateLimitRedis | undefined;
  /** The model's class labels in class-id order, for the Open Inference Protocol's metadata. */
  readonly labels: readonly string[];
  /** Set by service.ts the moment shutdown begins; readiness reads it. */
  readonly lifecycle?: Lifecycle;
  /**
   * The monitor (MONITOR=1) and the features it watches; undefined: /monitoring and /feedback
   * answer 404 monitor_off.
   */
  readonly monitor?:
    | { readonly monitor: MonitorView & OutcomeObserver; readonly features: readonly string[] }
    | undefined;
}

/** Where the service is in its life, shared by the composition root and the app. */
export interface Lifecycle {
  /** Shutdown has begun: readiness answers 503 and answers close their connections. */
  draining: boolean;
}

/** Readiness probes answer "not ready" while closing, rather than 503 shutting_down. */
const READINESS_PATHS = new Set(['/ready', '/v2/health/ready']);

export const VERSION = '0.1.0';

/**
 * Builds the Fastify app: the HTTP layer wired onto the engine's interfaces. It never listens;
 * main.ts does, and tests use `inject` or listen on port 0 (fastify/demo's app/server split).
 */
export async function buildApp(config: Config, deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    // Without a logger Fastify skips the per-request child altogether; with one, the child
    // is made only if something is logged for the request (lazy-logger.ts).
    ...(deps.logger === false
      ? { logger: false }
      : { loggerInstance: deps.logger, childLoggerFactory: lazyChildLoggerFactory }),
    bodyLimit: config.bodyLimitBytes,
    // Two log lines per request cost more than a cached prediction; errors are still logged,
    // each with its request's id (the client's x-request-id when acceptable: request-id.ts).
    logController: new LogController({
      disableRequestLogging: true,
      requestIdLogLabel: 'requestId',
    }),
    genReqId: requestId,
    // Forwarded addresses are believed from TRUST_PROXY's proxies only (config.ts says why).
    trustProxy: config.trustProxy.length > 0 ? [...config.trustProxy] : false,
    return503OnClosing: false,
    // Requests Node or Fastify refuse before routing still answer in the documented shape.
    clientErrorHandler: clientErrorHandler(deps.metrics),
    frameworkErrors: frameworkErrors(deps.metrics),
    // Slow and greedy clients: bounded time to send headers and the whole request, bounded
    // idle keep-alive, bounded connections (config.ts says why each default).
    requestTimeout: config.receiveTimeoutMs,
    keepAliveTimeout: config.keepAliveTimeoutMs,
    http: {
      // Node would refuse an HTTP/1.1 request without Host with an empty 400; the onRequest
      // hook below refuses it in the documented shape instead.
      requireHostHeader: false,
      headersTimeout: config.headersTimeoutMs,
      requestTimeout: config.receiveTimeoutMs,
      // Node checks both timeouts this often (its default, 30 s, would let a slow client
      // hold a socket that much past its deadline).
      connectionsCheckingInterval: Math.min(1_000, config.headersTimeoutMs),
    },
    ajv: {
      // Validate as pydantic does: report every error, never coerce or silently drop keys.
      customOptions: {
        allErrors: true,
        coerceTypes: false,
        removeAdditional: false,
        useDefaults: false,
        verbose: true,
      },
    },
  });
  app.server.maxConnections = config.maxConnections;
  answerUnknownExpectations(app.server, deps.metrics);
  registerInFlight(app, deps.metrics);
  registerRequestIdEcho(app);
  // The per-request hooks here take `done` rather than being async: an async hook costs a
  // promise on every request, and an error passed to `done` reaches the error handler alike.
  app.addHook('onRequest', (request, _reply, done) => {
    if (request.raw.httpVersion === '1.1' && request.headers.host === undefined) {
      return done(new AppError('bad_request', 'An HTTP/1.1 request must name its Host'));
    }
    done();
  });
  registerBodyParsers(app, config.bodyLimitBytes);
  registerErrorHandling(app, config.bodyLimitBytes, deps.metrics);
  if (config.logTexts) registerTextLog(app);
  // Security headers and CORS on every answer; access control before any route is declared.
  await registerBrowserSecurity(app, config.corsOrigins);
  const access = await registerAccessControl(app, config, {
    rateLimitRedis: deps.rateLimitRedis,
    metrics: deps.metrics,
  });
  // Under overload, work is refused before its body is read (after the access checks); an
  // answer sent before a body has all arrived still reaches the client (lingering close).
  registerEarlyRefusal(app, () => deps.classifier.refusal?.(), deps.metrics);
  registerLingeringClose(app, {
    maxBytes: config.lingeringMaxBytes,
    timeMs: config.lingeringTimeMs,
  });
  await registerOpenApi(app, VERSION, access);

  // On close, Node only ends connections idle at that moment; answers to requests still in
  // flight close theirs, so keep-alive clients cannot hold the shutdown open.
  // A request that arrives on an open connection while closing is answered 503 shutting_down
  // with Retry-After (a balancer retries it on another replica), in the documented shape
  // rather than Fastify's own (return503OnClosing is off).
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onRequest', (request, _reply, done) => {
    if (closing && !READINESS_PATHS.has(request.url)) return done(new ShuttingDownError());
    done();
  });
  const draining = () => closing || deps.lifecycle?.draining === true;
  app.addHook('onSend', (_request, reply, _payload, done) => {
    if (draining()) reply.header('connection', 'close');
    done();
  });

  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    deps.metrics.httpDuration.observe(
      { route, method: request.method, status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
    done();
  });

  healthRoute(app);
  readyRoute(app, draining);
  metricsRoute(app, deps.metrics);
  openInferenceRoutes(app, {
    classifier: deps.classifier,
    metrics: deps.metrics,
    modelName: config.modelName,
    labels: deps.labels,
    server: { name: 'sentiment-api', version: VERSION },
    limits: { maxTexts: config.maxTextsPerRequest, maxTextChars: config.maxTextChars },
    cacheHitsHeader: config.cacheHitsHeader,
    isDraining: draining,
  });
  predictRoute(app, {
    classifier: deps.classifier,
    cacheHitsHeader: config.cacheHitsHeader,
    metrics: deps.metrics,
    limits: { maxTexts: config.maxTextsPerRequest, maxTextChars: config.maxTextChars },
  });
  explainRoute(app, {
    classifier: deps.classifier,
    limits: {
      maxTexts: config.explainMaxTexts,
      maxWords: config.explainMaxWords,
      maxTextChars: config.maxTextChars,
    },
  });
  monitoringRoute(app, deps.monitor);
  feedbackRoute(app, {
    classifier: deps.classifier,
    labels: deps.labels,
    limits: { maxTexts: config.maxTextsPerRequest, maxTextChars: config.maxTextChars },
    outcomes: deps.monitor?.monitor,
  });
  pageRoute(app);
  return app;
}
