import type { FastifyInstance } from 'fastify';

/**
 * LOG_TEXTS=1: one `info` line per request that carries a body, with the body as parsed
 * (`body`), on the request's logger, so it has the request id of every other line of that
 * request. Logged before validation, so the body of a refused request (422, 413) is there
 * too: what a client sent when its schema changed. Off by default, and nothing else the
 * service logs holds a text: texts are what users wrote, and logs are kept, shipped and read
 * by more people than the service's answers. A line is as large as the body (at most
 * BODY_LIMIT_BYTES); a body that is not JSON is never logged.
 */
export function registerTextLog(app: FastifyInstance): void {
  app.addHook('preValidation', (request, _reply, done) => {
    if (request.body !== undefined) request.log.info({ body: request.body }, 'request body');
    done();
  });
}
