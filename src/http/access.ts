import type { FastifyInstance, onRequestHookHandler, RouteOptions } from 'fastify';
import type { Config } from '../config.js';
import type { Metrics } from '../metrics.js';
import { ApiKeyRing } from './auth.js';
import { crossOriginGuard } from './cross-origin.js';
import { registerRateLimit, type RateLimitRedis } from './rate-limit.js';
import { ErrorBody } from './schemas.js';
import { isOpenInferencePath } from './v2/protocol.js';
import { OpenInferenceError } from './v2/schemas.js';

/**
 * Who may call a route. Every route is a model route unless it is listed here, so a route
 * added later (`/explain`, `/feedback`, `/v2/models/...`) is behind the key, the rate limit
 * and the cross-origin guard without anyone remembering to ask.
 * - probe: never asks for anything (a kubelet has no key);
 * - metrics, docs: ask for a key when METRICS_REQUIRE_KEY / DOCS_REQUIRE_KEY say so;
 * - page: the page at `/` and its files under `/page/` never ask (its calls to /predict and
 *   /explain are model requests like any other, same-origin, so the cross-origin guard passes);
 * - model: the cross-origin guard, then the key (when keys are on), then the rate limit.
 */
export type RouteAccess = 'probe' | 'metrics' | 'docs' | 'page' | 'model';

const PROBES = new Set([
  '/health',
  '/ready',
  // The Open Inference Protocol's health routes (KServe points its probes at them).
  '/v2/health/live',
  '/v2/health/ready',
  '/v2/models/:model/ready',
  '/v2/models/:model/versions/:version/ready',
]);

/** The access class of a route, by its full path (plugin prefixes included) and method. */
export function routeAccess(url: string, method: string | readonly string[]): RouteAccess {
  // A CORS preflight carries no credentials by design; @fastify/cors answers it in a hook.
  if (method === 'OPTIONS') return 'probe';
  if (PROBES.has(url)) return 'probe';
  if (url === '/metrics') return 'metrics';
  if (url === '/openapi.json' || url === '/docs' || url.startsWith('/docs/')) return 'docs';
  if (url === '/' || url.startsWith('/page/')) return 'page';
  return 'model';
}

/** The OpenAPI security schemes for the keys (components.securitySchemes). */
export const SECURITY_SCHEMES = {
  bearerAuth: {
    type: 'http',
    scheme: 'bearer',
    description: 'An API key as `Authorization: Bearer <key>` (docs/security.md).',
  },
  apiKeyHeader: { type: 'apiKey', in: 'header', name: 'x-api-key' },
} as const;

/** What access control needs beyond the Config: the limiter's Redis, when there is one. */
export interface AccessDeps {
  readonly rateLimitRedis?: RateLimitRedis | undefined;
  /** Where the limiter's Redis circuit and counts are recorded. */
  readonly metrics?: Metrics;
}

/**
 * Installs access control as an `onRoute` hook, so it must run before any route is declared
 * (app.ts calls it before the OpenAPI plugin and the routes). Each check is an `onRequest`
 * hook of the route: a refused request is answered before its body is read. Model routes
 * also get their 401/403/429 answers, and their security requirement, in the OpenAPI
 * document. Returns the components to merge into that document.
 */
export async function registerAccessControl(
  app: FastifyInstance,
  config: Pick<
    Config,
    | 'apiKeys'
    | 'metricsRequireKey'
    | 'docsRequireKey'
    | 'rateLimitPerMinute'
    | 'corsOrigins'
    | 'redisCircuitResetMs'
  >,
  deps: AccessDeps = {},
): Promise<{ securitySchemes?: typeof SECURITY_SCHEMES }> {
  const ring = new ApiKeyRing(config.apiKeys);
  const keysOn = ring.size > 0;
  app.decorateRequest('apiClient', undefined);
  const authenticate = keysOn ? ring.hook() : undefined;
  const limit =
    config.rateLimitPerMinute > 0
      ? await registerRateLimit(app, {
          perMinute: config.rateLimitPerMinute,
          redis: deps.rateLimitRedis,
          circuitResetMs: config.redisCircuitResetMs,
          observer: {
            // Once per change of state, so a flapping Redis cannot flood the log.
            circuit: (open, detail) => {
              deps.metrics?.rateLimitCircuitOpen.set(open ? 1 : 0);
              if (open) app.log.warn(`redis rate limit ${detail}`);
              else app.log.info(`redis rate limit ${detail}`);
            },
            counted: (store) => deps.metrics?.rateLimitCounted.inc({ store }),
          },
        })
      : undefined;
  const guard = crossOriginGuard(config.corsOrigins);
  const checks: Record<RouteAccess, onRequestHookHandler[]> = {
    probe: [],
    metrics: config.metricsRequireKey && authenticate ? [authenticate] : [],
    docs: config.docsRequireKey && authenticate ? [authenticate] : [],
    page: [],
    model: [guard, ...(authenticate ? [authenticate] : []), ...(limit ? [limit] : [])],
  };

  app.addHook('onRoute', (route: RouteOptions) => {
    const access = routeAccess(route.url, route.method);
    if (checks[access].length === 0) return;
    // A new array: Fastify's automatic HEAD route starts from a copy of the GET's options.
    const own = route.onRequest;
    route.onRequest = [...(own === undefined ? [] : [own].flat()), ...checks[access]];
    if (access !== 'model') return;
    const schema = route.schema ?? {};
    const response = (schema.response ?? {}) as Record<string, unknown>;
    // The refusals' body, as the error handler answers on this path.
    const body = isOpenInferencePath(route.url) ? OpenInferenceError : ErrorBody;
    const described = (description: string) => ({ ...body, description });
    route.schema = {
      ...schema,
      ...(keysOn ? { security: [{ bearerAuth: [] }, { apiKeyHeader: [] }] } : {}),
      response: {
        ...response,
        ...(keysOn
          ? { 401: described('No API key, or one that is not configured (`unauthorized`)') }
          : {}),
        403: described("Sent by a browser from another site's page (`origin_forbidden`)"),
        429: described(
          limit
            ? 'Over the rate limit (`rate_limited`) or the queue is full (`overloaded`); see Retry-After'
            : 'The queue is full (`overloaded`); see Retry-After',
        ),
      },
    };
  });
  return keysOn ? { securitySchemes: SECURITY_SCHEMES } : {};
}
