import type { FastifyInstance } from 'fastify';
import type { Metrics } from '../../metrics.js';

/** Prometheus exposition of every metric in metrics.ts. */
export function metricsRoute(app: FastifyInstance, metrics: Metrics): void {
  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
    reply.type(metrics.registry.contentType);
    return metrics.registry.metrics();
  });
}
