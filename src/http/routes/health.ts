import type { FastifyInstance } from 'fastify';
import { HealthResponse } from '../schemas.js';

/** Liveness, as the seed: 200 `{"status":"healthy"}` while the process serves HTTP. */
export function healthRoute(app: FastifyInstance): void {
  app.get(
    '/health',
    { schema: { summary: 'Liveness probe', tags: ['ops'], response: { 200: HealthResponse } } },
    async () => ({ status: 'healthy' as const }),
  );
}
