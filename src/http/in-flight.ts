import type { FastifyInstance } from 'fastify';
import type { Metrics } from '../metrics.js';

/**
 * `sentiment_http_requests_in_flight`: a request counts from its first hook until its
 * response closes. The raw response's `close` fires once whether the answer was sent or the
 * client left first; `onResponse` does not fire for a request whose client is gone, and the
 * gauge would only ever climb. Register it before any hook that can refuse a request.
 */
export function registerInFlight(app: FastifyInstance, metrics: Pick<Metrics, 'httpInFlight'>) {
  // One listener function for every response, added with `on`: `close` fires once anyway, and
  // `once` would wrap a new closure per request.
  const closed = (): void => metrics.httpInFlight.dec();
  app.addHook('onRequest', (_request, reply, done) => {
    metrics.httpInFlight.inc();
    reply.raw.on('close', closed);
    done();
  });
}
