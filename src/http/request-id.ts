import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance } from 'fastify';

/** The header a request id arrives in and is echoed back in (nginx's, Heroku's, Envoy's). */
export const REQUEST_ID_HEADER = 'x-request-id';

/**
 * What a client's id may be: up to 128 letters, digits and `_ . : + / = @ -` (UUIDs, hex and
 * base64 trace ids, `req-42`). Anything else is replaced, never cut or escaped: the id goes on
 * every log line of the request, so a newline, a quote or a 10 kB header must not reach one.
 */
const ACCEPTED = /^[\w.:+/=@-]{1,128}$/;

/**
 * Fastify's `genReqId`: the client's `x-request-id` when it is acceptable, else a fresh
 * UUID. Fastify's own `requestIdHeader` takes the header as it comes (its docs warn that no
 * validation is performed), so the header is read here instead. A repeated header arrives
 * joined with ", " and is refused by the pattern.
 */
export function requestId(request: IncomingMessage): string {
  const sent = request.headers[REQUEST_ID_HEADER];
  return typeof sent === 'string' && ACCEPTED.test(sent) ? sent : randomUUID();
}

/**
 * Echoes the request id on every answer, set first thing so refusals (401, 413, 429, …) carry
 * it too: the id a client quotes is the one on the log lines.
 */
export function registerRequestIdEcho(app: FastifyInstance): void {
  app.addHook('onRequest', (request, reply, done) => {
    reply.header(REQUEST_ID_HEADER, request.id);
    done();
  });
}
