import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';

const ReadyResponse = Type.Object(
  { status: Type.Union([Type.Literal('ready'), Type.Literal('draining')]) },
  { title: 'ReadyResponse' },
);

/**
 * Readiness, apart from the seed's `/health` (liveness): 200 `{"status":"ready"}` once the
 * model is loaded and warmed (the app is only built after that) and 503 `{"status":"draining"}`
 * from the moment shutdown begins, so a balancer or Kubernetes stops sending new requests
 * before the process stops taking them.
 */
export function readyRoute(app: FastifyInstance, isDraining: () => boolean): void {
  app.get(
    '/ready',
    {
      schema: {
        summary: 'Readiness probe',
        tags: ['ops'],
        response: { 200: ReadyResponse, 503: ReadyResponse },
      },
    },
    async (_request, reply) =>
      isDraining()
        ? reply.code(503).send({ status: 'draining' as const })
        : { status: 'ready' as const },
  );
}
