import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';

/** How much of an unread body the service discards after answering, and for how long. */
export interface LingeringLimits {
  /** LINGERING_MAX_BYTES: past this many discarded bytes the connection is cut. */
  readonly maxBytes: number;
  /** LINGERING_TIME_MS: past this the connection is cut, whatever has arrived. */
  readonly timeMs: number;
}

/**
 * Lingering close, as nginx does it (`lingering_close`, `lingering_time`): an answer sent
 * before its request's body has all arrived (413 body_too_large, and the refusals given in
 * `onRequest`: 401, 403, 429) must reach a client that is still writing that body.
 *
 * What Node does without this (lib/_http_server.js, `resOnFinish`): when the answer says
 * `Connection: close` (Fastify sets it on a 413) it calls `socket.destroySoon()`, which
 * closes the socket as soon as the answer is written. The client's body is still arriving;
 * the kernel answers the unread bytes with a reset, and a client that writes before it reads
 * (Node's fetch: EPIPE in 13 of 20 tries with a 5 MB body) never sees the answer. Without
 * `Connection: close`, Node keeps the connection and `req._dump()` discards the rest of the
 * body, with no bound at all.
 *
 * Here, the rest of the body is read and discarded, within `limits`:
 * - when its length is declared and within `maxBytes`, the connection stays open and serves
 *   the next request once the body has arrived (a refusal under overload costs no reconnect);
 * - otherwise (larger, chunked, or Fastify already decided to close) the answer says
 *   `Connection: close`; once it is written, only the write side is shut (FIN), the body is
 *   drained, and the socket closes when the body ends;
 * - past `maxBytes` discarded or `timeMs`, the socket is destroyed: a client that keeps
 *   sending is cut off.
 */
export function registerLingeringClose(app: FastifyInstance, limits: LingeringLimits): void {
  app.addHook('onSend', (request, reply, payload, done) => {
    const req = request.raw;
    // `complete` is Node's own flag (inject's fake requests have none): the whole body is in.
    if (req.complete === false && req.socket) {
      const declared = Number(req.headers['content-length']);
      if (!(declared <= limits.maxBytes)) reply.header('connection', 'close');
      linger(req, req.socket, limits);
    }
    done(null, payload);
  });
}

function linger(req: IncomingMessage, socket: Socket, limits: LingeringLimits): void {
  let discarded = 0;
  let closing = false;
  const cut = (): void => {
    clearTimeout(timer);
    socket.destroy();
  };
  const timer = setTimeout(cut, limits.timeMs).unref();
  const stopTimer = (): void => clearTimeout(timer);
  socket.once('close', stopTimer);
  // Once the answer is written, close: the client has read nothing it could lose.
  const close = (): void => {
    if (socket.writableFinished) socket.destroy();
    else socket.once('finish', () => socket.destroy());
  };
  // Our own reader (not Node's _dump, which counts nothing): every byte is counted.
  req.on('data', (chunk: Buffer) => {
    discarded += chunk.length;
    if (discarded > limits.maxBytes) cut();
  });
  req.once('end', () => {
    clearTimeout(timer);
    // A keep-alive connection serves its next request: a listener left per refusal would
    // pile up on a client refused again and again (429s under load).
    socket.off('close', stopTimer);
    if (closing) close();
  });
  req.resume();
  // What resOnFinish calls for a `Connection: close` answer: shut the write side only, and
  // close when the body has ended (above) or a bound is hit.
  socket.destroySoon = () => {
    closing = true;
    if (socket.writable) socket.end();
    if (req.readableEnded) close();
  };
}
