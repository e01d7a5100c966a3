import cors from '@fastify/cors';
import type { FastifyInstance } from 'fastify';
import { routeAccess } from './access.js';
import { recordHelmetSteps, replayHelmetSteps, type HeaderPlan } from './helmet-steps.js';

/**
 * The Content-Security-Policy of the API's own answers (JSON, metrics, errors): nothing may
 * load, nothing may frame them, as OWASP's REST Security Cheat Sheet recommends for an API.
 * Should a browser ever be made to render an answer (a text echoed in an error), it runs
 * nothing.
 */
export const API_CSP = {
  useDefaults: false,
  directives: { 'default-src': ["'none'"], 'frame-ancestors': ["'none'"] },
};

/**
 * The policy of /docs and /openapi.json: helmet's default, adjusted to what Swagger UI needs
 * (@fastify/swagger-ui serves it from the package: its own scripts from this origin, no
 * inline script, no CDN) and no more:
 * - scripts only from this origin, no inline script, no `eval`, no plugins;
 * - `style-src` allows inline styles: the UI's bundle injects some (Chromium reports the
 *   violation otherwise); a style cannot run code, and a hash would break on every upgrade;
 * - `upgrade-insecure-requests` is left out: served over plain HTTP on a real host name (a
 *   NodePort, a cluster name), it would have the browser fetch the UI's assets over https and
 *   render nothing. TLS is the gateway's or the mesh's job;
 * - `img-src` and `font-src` keep `data:` (the UI's icons); `frame-ancestors 'none'` (no
 *   clickjacking of the "Authorize" dialog).
 * test/http/docs-browser.test.ts loads the UI in Chromium under this policy, through a host
 * name, and fails on any violation the browser reports.
 */
export const DOCS_CSP = {
  useDefaults: false,
  directives: {
    'default-src': ["'self'"],
    'base-uri': ["'self'"],
    'connect-src': ["'self'"],
    'font-src': ["'self'", 'data:'],
    'form-action': ["'self'"],
    'frame-ancestors': ["'none'"],
    'img-src': ["'self'", 'data:'],
    'object-src': ["'none'"],
    'script-src': ["'self'"],
    'script-src-attr': ["'none'"],
    'style-src': ["'self'", "'unsafe-inline'"],
  },
};

/**
 * The policy of the page at `/` and its files (http/routes/page.ts): its own script and
 * stylesheet from this origin, calls to this origin, and nothing else: no inline script or
 * style (the page sets bar widths through the CSSOM, which CSP does not govern), no framing.
 * test/http/page-browser.test.ts drives the page in Chromium and fails on any violation.
 */
export const PAGE_CSP = {
  useDefaults: false,
  directives: {
    'default-src': ["'none'"],
    'base-uri': ["'none'"],
    'connect-src': ["'self'"],
    'form-action': ["'self'"],
    'frame-ancestors': ["'none'"],
    'img-src': ["'self'"],
    'script-src': ["'self'"],
    'style-src': ["'self'"],
  },
};

/** The CORS settings a listed origin gets: what the model routes read and answer. */
const CORS_HEADERS = {
  methods: ['GET', 'HEAD', 'POST'],
  allowedHeaders: ['content-type', 'authorization', 'x-api-key', 'x-request-id'],
  exposedHeaders: [
    'retry-after',
    'x-cache-hits',
    'x-ratelimit-limit',
    'x-ratelimit-remaining',
    'x-ratelimit-reset',
    // The request id and TEI's timing headers (request-id.ts, timing-headers.ts).
    'x-request-id',
    'x-total-time',
    'x-tokenization-time',
    'x-queue-time',
    'x-inference-time',
  ],
  // No cookies are read, so no credentialed CORS: a key is sent as a header, by the page's code.
  credentials: false,
  maxAge: 600,
};

/**
 * Helmet's options for every answer: the API's CSP and, unless a route's policy below says
 * otherwise, the same headers on the docs and the page.
 */
export const HELMET_OPTIONS = {
  contentSecurityPolicy: API_CSP,
  // HSTS only means something over TLS, which the gateway terminates; includeSubDomains is
  // not this service's decision to make for its domain's other hosts.
  strictTransportSecurity: { maxAge: 31_536_000, includeSubDomains: false },
  // The same as frame-ancestors 'none', for browsers that only know the older header.
  xFrameOptions: { action: 'deny' as const },
};

/** The routes with a policy of their own (by their access class), as helmet route options. */
export const ROUTE_HELMET = {
  docs: { contentSecurityPolicy: DOCS_CSP },
  page: { contentSecurityPolicy: PAGE_CSP },
};

declare module 'fastify' {
  interface FastifyContextConfig {
    /** What helmet does to this route's answers, when not the API's (helmet-steps.ts). */
    securityHeaders?: HeaderPlan;
  }
}

/**
 * Security headers on every response (@fastify/helmet: the CSPs above, nosniff, frame and
 * referrer policies, cross-origin isolation of the UI's window) and, when CORS_ORIGINS lists
 * origins, CORS for exactly those (@fastify/cors; preflights are answered in its onRequest
 * hook, before any key is asked for, since a browser never sends credentials with one).
 * Nothing names the server or its version: neither Node nor Fastify sends `Server` or
 * `X-Powered-By`, and helmet removes the latter should anything add it.
 *
 * Helmet's headers are recorded once per policy at start-up and replayed on each answer, at
 * the point in the hook chain where the plugin would set them (helmet-steps.ts says why);
 * test/http/helmet-parity.test.ts checks them against the plugin's own.
 */
export async function registerBrowserSecurity(
  app: FastifyInstance,
  corsOrigins: readonly string[],
): Promise<void> {
  const steps = await recordHelmetSteps(HELMET_OPTIONS, ROUTE_HELMET);
  // Docs and page routes get their policy in their route config; every other answer, 404s
  // included, gets the API's. So this must be registered before those routes are declared.
  app.addHook('onRoute', (route) => {
    const access = routeAccess(route.url, route.method);
    if (access === 'docs' || access === 'page') {
      route.config = { ...route.config, securityHeaders: steps.routes[access] };
    }
  });
  app.addHook('onRequest', (request, reply, done) => {
    replayHelmetSteps(reply, request.routeOptions.config.securityHeaders ?? steps.global);
    done();
  });
  if (corsOrigins.length > 0) {
    await app.register(cors, { origin: [...corsOrigins], ...CORS_HEADERS });
  }
}
