import type { FastifyReply } from 'fastify';
import type { OnAbandon } from '../engine/classifier.js';

/**
 * The engine's OnAbandon for one HTTP request: the client closing its connection before the
 * answer is written drops the request's queued work. Shared by every route that classifies.
 */
export function whenClientLeaves(reply: FastifyReply): OnAbandon {
  return (abandon) =>
    reply.raw.once('close', () => {
      if (!reply.raw.writableFinished) abandon();
    });
}
