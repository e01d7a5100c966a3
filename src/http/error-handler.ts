import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  AppError,
  ERROR_CATALOGUE,
  JsonInvalidError,
  MethodNotAllowedError,
  UnsupportedMediaTypeError,
  type ErrorCode,
} from '../errors.js';
import type { Metrics } from '../metrics.js';
import type { ErrorItem } from './schemas.js';
import type { PrecheckFailure } from './size-guard.js';
import { isOpenInferencePath, openInferenceMessage } from './v2/protocol.js';
import { validationDetail, type AjvError } from './validation.js';

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'] as const;

/** Fastify's own errors that are client mistakes, as codes of the catalogue. */
const FASTIFY_CODES: Readonly<Record<string, ErrorCode>> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_BODY_TOO_LARGE: 'body_too_large',
};

/**
 * The answer's body: FastAPI's `detail`, or on the Open Inference Protocol's paths (`/v2/...`)
 * its `{"error": "…"}`, where a request the server cannot read is 400 (the protocol's "bad
 * request"), not pydantic's 422; every other status is the catalogue's on both.
 */
function answer(reply: FastifyReply, status: number, detail: ErrorItem[] | string): FastifyReply {
  if (isOpenInferencePath(reply.request.url)) {
    return reply
      .code(status === 422 ? ERROR_CATALOGUE.inference_request_invalid.status : status)
      .type('application/json')
      .send({ error: openInferenceMessage(detail) });
  }
  return reply.code(status).type('application/json').send({ detail });
}

/**
 * The one place where errors become HTTP responses (as fastify's lib/errors.js catalogue and
 * TEI's single `From<&ErrorType> for StatusCode`). The status is the one the error carries
 * (errors.ts); this file only chooses the body. Client mistakes get FastAPI's `detail` shape
 * and a 4xx; only our own failures are 5xx, and only unknown ones are logged as errors, with
 * nothing of them in the answer.
 */
export function registerErrorHandling(
  app: FastifyInstance,
  bodyLimit: number,
  /** Where every error answer is counted by its type (sentiment_request_refusals_total). */
  answers?: Pick<Metrics, 'answeredError'>,
): void {
  /** Answers, counted by the answer's type: its first item's, or the code a string stands for. */
  const send = (
    reply: FastifyReply,
    status: number,
    detail: ErrorItem[] | string,
    type: string = typeof detail === 'string' ? 'other' : (detail[0]?.type ?? 'other'),
  ): FastifyReply => {
    answers?.answeredError(status, type);
    return answer(reply, status, detail);
  };
  app.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    if (error.validation) {
      const { status, detail } = validationDetail(
        error.validation as unknown as AjvError[],
        (error as Partial<PrecheckFailure>).omitted,
        error.validationContext === 'querystring' ? 'query' : 'body',
      );
      return send(reply, status, detail);
    }
    const fastifyCode = error.code ? FASTIFY_CODES[error.code] : undefined;
    if (fastifyCode === 'body_too_large') {
      return send(reply, ERROR_CATALOGUE.body_too_large.status, [
        {
          type: 'body_too_large',
          loc: ['body'],
          msg: `Request body is larger than ${bodyLimit} bytes`,
          ctx: { max_bytes: bodyLimit },
        },
      ]);
    }
    if (fastifyCode === 'unsupported_media_type') {
      return send(reply, ERROR_CATALOGUE.unsupported_media_type.status, [
        { type: 'unsupported_media_type', loc: ['header', 'content-type'], msg: error.message },
      ]);
    }
    if (error instanceof AppError) {
      reply.headers(error.headers);
      if (error instanceof JsonInvalidError) {
        return send(reply, error.status, [
          {
            type: error.code,
            loc: ['body', error.position],
            msg: error.message,
            input: {},
            ctx: { error: error.reason },
          },
        ]);
      }
      if (error instanceof UnsupportedMediaTypeError) {
        return send(reply, error.status, [
          { type: error.code, loc: ['header', 'content-type'], msg: error.message },
        ]);
      }
      // Starlette answers routing errors with a plain string detail.
      if (error instanceof MethodNotAllowedError)
        return send(reply, error.status, error.message, error.code);
      // Refusals while draining are the plan, and a failed batch is logged once where it
      // failed (service.ts), not once per request in it.
      if (error.status >= 500 && error.code !== 'shutting_down' && error.code !== 'model_failed')
        request.log.warn({ err: error }, error.message);
      return send(reply, error.status, [{ type: error.code, loc: [], msg: error.message }]);
    }
    const status = error.statusCode ?? 500;
    if (status < 500) {
      return send(reply, status, [{ type: 'bad_request', loc: [], msg: error.message }]);
    }
    request.log.error({ err: error }, 'unhandled error');
    return send(reply, ERROR_CATALOGUE.internal_error.status, [
      { type: 'internal_error', loc: [], msg: ERROR_CATALOGUE.internal_error.message },
    ]);
  });

  // Unknown path → 404; known path, wrong method → 405 with Allow (as Starlette does).
  app.setNotFoundHandler((request, reply) => {
    const url = request.url.split('?')[0] ?? '/';
    const allow = METHODS.filter((method) => app.hasRoute({ url, method }));
    if (allow.length > 0) throw new MethodNotAllowedError(allow);
    return send(
      reply,
      ERROR_CATALOGUE.not_found.status,
      ERROR_CATALOGUE.not_found.message,
      'not_found',
    );
  });
}
