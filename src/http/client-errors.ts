import { STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ERROR_CATALOGUE, type ErrorCode } from '../errors.js';
import type { Metrics } from '../metrics.js';
import { REQUEST_ID_HEADER } from './request-id.js';

/** Where these refusals are counted by type (sentiment_request_refusals_total). */
type Answers = Pick<Metrics, 'answeredError'> | undefined;

/** Node's parser errors (before Fastify sees a request), as codes of the catalogue. */
function codeOf(error: NodeJS.ErrnoException): ErrorCode {
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') return 'request_timeout';
  if (error.code === 'HPE_HEADER_OVERFLOW') return 'headers_too_large';
  return 'bad_request';
}

/**
 * Fastify's `clientErrorHandler`: a request Node cannot parse (bad framing, headers too large,
 * a body not sent in time) is answered on the raw socket in the documented `detail` shape
 * rather than Fastify's, then the socket is closed, as Node does.
 */
export function clientErrorHandler(
  answers?: Answers,
): (error: NodeJS.ErrnoException, socket: Socket) => void {
  return (error, socket) => {
    if (error.code === 'ECONNRESET' || socket.destroyed) return;
    const code = codeOf(error);
    const { status, message } = ERROR_CATALOGUE[code];
    if (socket.writable) {
      answers?.answeredError(status, code);
      const body = JSON.stringify({ detail: [{ type: code, loc: [], msg: message }] });
      socket.write(
        `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
          `Content-Type: application/json\r\nConnection: close\r\n\r\n${body}`,
      );
    }
    socket.destroy(error);
  };
}

/** Fastify's `frameworkErrors`: a URL it cannot decode, answered in the documented shape. */
export function frameworkErrors(
  answers?: Answers,
): (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => void {
  return (error, request, reply) => {
    const { status } = ERROR_CATALOGUE.bad_request;
    answers?.answeredError(status, 'bad_request');
    void reply
      // No onRequest hook ran for it, so the id is echoed here.
      .header(REQUEST_ID_HEADER, request.id)
      .code(status)
      .type('application/json')
      .send({ detail: [{ type: 'bad_request', loc: ['path'], msg: error.message }] });
  };
}

/** Writes a documented refusal on a raw response Node handed us before Fastify routed it. */
function refuseRaw(
  res: ServerResponse,
  code: ErrorCode,
  loc: (string | number)[],
  answers: Answers,
): void {
  const { status, message } = ERROR_CATALOGUE[code];
  answers?.answeredError(status, code);
  const body = JSON.stringify({ detail: [{ type: code, loc, msg: message }] });
  res.writeHead(status, { 'content-type': 'application/json', connection: 'close' });
  res.end(body);
}

/**
 * Node answers an `Expect` other than `100-continue` itself, 417 with an empty body, unless a
 * `checkExpectation` listener answers: this one answers in the documented shape.
 */
export function answerUnknownExpectations(server: Server, answers?: Answers): void {
  server.on('checkExpectation', (_request: IncomingMessage, res: ServerResponse) =>
    refuseRaw(res, 'expectation_failed', ['header', 'expect'], answers),
  );
}
