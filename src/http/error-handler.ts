import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, Overloaded, ShuttingDown } from '../errors.js';
import { BodyNotJson, MethodNotAllowed, UnsupportedMediaType } from './http-errors.js';
import type { ErrorItem } from './schemas.js';
import { validationDetail, type AjvError } from './validation.js';

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'] as const;

function send(reply: FastifyReply, status: number, detail: ErrorItem[] | string): FastifyReply {
  return reply.code(status).type('application/json').send({ detail });
}

/**
 * The one place where errors become HTTP responses (as fastify's lib/errors.js catalogue and
 * TEI's single `From<&ErrorType> for StatusCode`). Client mistakes get FastAPI's `detail`
 * shape and a 4xx; only our own failures are 5xx, and only unknown ones are logged as errors.
 */
export function registerErrorHandling(app: FastifyInstance, bodyLimit: number): void {
  app.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    if (error.validation) {
      const { status, detail } = validationDetail(error.validation as unknown as AjvError[]);
      return send(reply, status, detail);
    }
    if (error instanceof BodyNotJson) {
      return send(reply, 422, [
        {
          type: 'json_invalid',
          loc: ['body', error.position],
          msg: 'JSON decode error',
          input: {},
          ctx: { error: error.reason },
        },
      ]);
    }
    if (error instanceof UnsupportedMediaType || error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      return send(reply, 415, [
        { type: 'unsupported_media_type', loc: ['header', 'content-type'], msg: error.message },
      ]);
    }
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return send(reply, 413, [
        {
          type: 'body_too_large',
          loc: ['body'],
          msg: `Request body is larger than ${bodyLimit} bytes`,
          ctx: { max_bytes: bodyLimit },
        },
      ]);
    }
    if (error instanceof MethodNotAllowed) {
      return reply
        .code(405)
        .header('allow', error.allow.join(', '))
        .send({ detail: error.message });
    }
    if (error instanceof Overloaded || error instanceof ShuttingDown) {
      reply.header('retry-after', String(error.retryAfterSeconds));
    }
    if (error instanceof AppError) {
      if (error.status >= 500) request.log.warn({ err: error }, error.message);
      return send(reply, error.status, [{ type: error.code, loc: [], msg: error.message }]);
    }
    const status = error.statusCode ?? 500;
    if (status < 500) {
      return send(reply, status, [
        { type: (error.code ?? 'bad_request').toLowerCase(), loc: [], msg: error.message },
      ]);
    }
    request.log.error({ err: error }, 'unhandled error');
    return send(reply, 500, [{ type: 'internal_error', loc: [], msg: 'Internal Server Error' }]);
  });

  // Unknown path → 404; known path, wrong method → 405 with Allow (as Starlette does).
  app.setNotFoundHandler((request, reply) => {
    const url = request.url.split('?')[0] ?? '/';
    const allow = METHODS.filter((method) => app.hasRoute({ url, method }));
    if (allow.length > 0) throw new MethodNotAllowed(allow);
    return reply.code(404).send({ detail: 'Not Found' });
  });
}
