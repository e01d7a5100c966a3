import type { FastifyInstance, onRequestHookHandler, RouteOptions } from 'fastify';
import { OverloadedError, type AppError } from '../errors.js';
import type { Metrics } from '../metrics.js';
import { routeAccess } from './access.js';

/**
 * Refuses work before its body is read while the engine would refuse any request (its queue
 * is shedding, or it is draining): an `onRequest` hook on every POST model route, after the
 * access checks (401, 403 and the rate limit still come first, so a refusal tells an unknown
 * client nothing about load). Under overload most requests are refused, and a refusal must
 * cost almost nothing: no body read, parsed, validated, looked up in the cache or tokenized,
 * only the headers (docs/benchmarks.md, "Overload"). The price: a request whose texts are
 * all cached is refused too while the queue sheds, since nobody has read them yet.
 * Counts `sentiment_overload_refusals_total` by stage: `before_body` here, `after_parse` for
 * requests this let through and the queue then refused.
 */
export function registerEarlyRefusal(
  app: FastifyInstance,
  refusal: () => AppError | undefined,
  metrics: Metrics,
): void {
  const early = new WeakSet<Error>();
  const hook: onRequestHookHandler = (_request, _reply, done) => {
    const error = refusal();
    if (error instanceof OverloadedError) {
      early.add(error);
      metrics.overloadRefusals.inc({ stage: 'before_body' });
    }
    done(error);
  };
  // Registered after access control's own onRoute hook, so this one runs after its checks.
  app.addHook('onRoute', (route: RouteOptions) => {
    const methods = [route.method].flat();
    if (!methods.includes('POST') || routeAccess(route.url, route.method) !== 'model') return;
    const own = route.onRequest;
    route.onRequest = [...(own === undefined ? [] : [own].flat()), hook];
  });
  app.addHook('onError', async (_request, _reply, error) => {
    if (error instanceof OverloadedError && !early.has(error)) {
      metrics.overloadRefusals.inc({ stage: 'after_parse' });
    }
  });
}
