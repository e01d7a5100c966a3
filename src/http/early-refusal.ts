import type {
  FastifyInstance,
  FastifyRequest,
  HookHandlerDoneFunction,
  onRequestHookHandler,
  RouteOptions,
} from 'fastify';
import { OverloadedError, type AppError } from '../errors.js';
import type { Metrics } from '../metrics.js';
import { routeAccess } from './access.js';

/**
 * Refuses work before its body is read while the engine would refuse any request (its queue
 * is shedding, or it is draining): an `onRequest` hook on every POST model route, after the
 * access checks (401, 403 and the rate limit still come first, so a refusal tells an unknown
 * client nothing about load). Under overload most requests are refused, and a refusal must
 * cost almost nothing: no body read, parsed, validated, looked up in the cache or tokenized,
 * only the headers (docs/benchmarks.md, "Overload"). Except a small body (a declared
 * Content-Length of at most READ_WHILE_SHEDDING_BYTES): reading, parsing and validating one
 * costs the event loop about what the refusal itself does (measured: 1.1-1.3× of the
 * before-body refusal, the HTTP exchange is most of either), and a request whose texts are all
 * cached is then answered instead of refused; one that is not is refused when its texts ask
 * for room, before any tokenizing. Counts `sentiment_overload_refusals_total` by stage:
 * `before_body` here, `after_parse` for requests this let through and the queue then refused.
 *
 * A connection that sends again before the Retry-After it was given is not answered sooner
 * than that (at most MAX_HOLD_MS), and then as the queue stands: a client that retries at
 * once would otherwise turn the event loop into a refusal loop, and on a small machine take
 * the workers' cores with it (docs/benchmarks.md, "Overload"). A first refusal, and one to a
 * client that waited, is answered at once.
 */
export function registerEarlyRefusal(
  app: FastifyInstance,
  refusal: () => AppError | undefined,
  metrics: Metrics,
): void {
  const early = new WeakSet<Error>();
  /** When each connection that was refused was told it might send again (ms since epoch). */
  const retryAt = new WeakMap<object, number>();
  const told = (socket: object, error: OverloadedError): void => {
    retryAt.set(socket, Date.now() + error.retryAfterSeconds * 1000);
  };
  const decide = (request: FastifyRequest, done: HookHandlerDoneFunction): void => {
    const error = refusal();
    // Shedding: a small body is read all the same, so its cached texts can be answered.
    if (error instanceof OverloadedError && isSmall(request.headers['content-length'])) {
      return done();
    }
    if (error instanceof OverloadedError) {
      early.add(error);
      told(request.raw.socket, error);
      metrics.overloadRefusals.inc({ stage: 'before_body' });
    }
    done(error);
  };
  const hook: onRequestHookHandler = (request, _reply, done) => {
    // Only a connection that was refused has an entry: the common case reads no clock.
    const at = retryAt.get(request.raw.socket);
    const tooSoonMs = at === undefined ? 0 : at - Date.now();
    if (tooSoonMs > 0 && refusal() !== undefined)
      setTimeout(decide, Math.min(tooSoonMs, MAX_HOLD_MS), request, done);
    else decide(request, done);
  };
  // Registered after access control's own onRoute hook, so this one runs after its checks.
  app.addHook('onRoute', (route: RouteOptions) => {
    const methods = [route.method].flat();
    if (!methods.includes('POST') || routeAccess(route.url, route.method) !== 'model') return;
    const own = route.onRequest;
    route.onRequest = [...(own === undefined ? [] : [own].flat()), hook];
  });
  app.addHook('onError', async (request, _reply, error) => {
    if (error instanceof OverloadedError && !early.has(error)) {
      told(request.raw.socket, error);
      metrics.overloadRefusals.inc({ stage: 'after_parse' });
    }
  });
}

/** Longest a request from a client that did not wait its Retry-After is held unanswered. */
const MAX_HOLD_MS = 2_000;

/**
 * Bodies read even while the queue sheds: a few short texts (the course's clients send about
 * 60 bytes). The cost of reading grows with the body, the refusal's does not, so the bound
 * is where the two were measured close (docs/benchmarks.md, "Overload": bench:shed-cost).
 */
export const READ_WHILE_SHEDDING_BYTES = 1_024;

/** A declared length within READ_WHILE_SHEDDING_BYTES; a chunked body (none declared) is not. */
function isSmall(contentLength: string | undefined): boolean {
  return contentLength !== undefined && /^\d{1,4}$/.test(contentLength)
    ? Number(contentLength) <= READ_WHILE_SHEDDING_BYTES
    : false;
}
