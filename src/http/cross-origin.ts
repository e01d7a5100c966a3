import type { FastifyRequest, onRequestHookHandler } from 'fastify';
import { OriginForbiddenError } from '../errors.js';

/**
 * Whether a browser sent this request from a page of another site that CORS_ORIGINS does not
 * list. The algorithm of Go's `net/http.CrossOriginProtection` (Filippo Valsorda, "Cross-Site
 * Request Forgery", 2025): trust `Sec-Fetch-Site` when the browser sends it (every current
 * one does), else compare `Origin` with the host the request was sent to; a request with
 * neither header is not from a browser page (curl, k6, another service) and passes.
 *
 * Why it matters here: a page on any site can make its visitors' browsers POST to the service
 * without a CORS preflight when the body is `text/plain` or has no Content-Type (a Blob), and
 * the body parser reads both as JSON, as FastAPI does, so the course's clients keep working.
 * Such a request cannot read the answer, but it spends the service's compute, counts against
 * the rate limit of whoever is browsing, and reaches a service that only the visitor's network
 * can reach. Unlike Go's, this check covers GET too: a model route costs compute whatever
 * its method.
 */
export function isForeignBrowserRequest(
  request: FastifyRequest,
  allowedOrigins: ReadonlySet<string>,
): boolean {
  const origin = request.headers.origin;
  if (origin !== undefined && allowedOrigins.has(origin)) return false;
  const site = request.headers['sec-fetch-site'];
  if (site !== undefined) return site !== 'same-origin' && site !== 'none';
  if (origin === undefined) return false;
  try {
    // request.host is the Host the client addressed (X-Forwarded-Host behind a gateway), read
    // with the Origin's scheme so that a default port (`:80`, `:443`) compares equal to none.
    const from = new URL(origin);
    return from.host !== new URL(`${from.protocol}//${request.host}`).host;
  } catch {
    // `Origin: null` (sandboxed frames, file: pages, redirects) or garbage.
    return true;
  }
}

/** An `onRequest` hook: a foreign browser request gets 403 before its body is read. */
export function crossOriginGuard(allowedOrigins: readonly string[]): onRequestHookHandler {
  const allowed = new Set(allowedOrigins);
  return (request, _reply, done) => {
    done(isForeignBrowserRequest(request, allowed) ? new OriginForbiddenError() : undefined);
  };
}
