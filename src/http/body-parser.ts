import type { FastifyInstance, FastifyRequest } from 'fastify';
import { JsonInvalidError, UnsupportedMediaTypeError } from '../errors.js';

/**
 * JSON bodies, parsed by us rather than Fastify's default parser so that a syntax error
 * becomes FastAPI's `json_invalid` with its position, and so that a body sent with no
 * Content-Type is read as JSON (FastAPI does, and the course's k6 script sends none).
 * `text/plain` is read as JSON too: it is what `fetch(url, { body: string })` sends.
 */
export function registerBodyParsers(app: FastifyInstance, bodyLimit: number): void {
  const parseJson = (
    _request: FastifyRequest,
    body: string,
    done: (err: Error | null, body?: unknown) => void,
  ): void => {
    if (body.length === 0) return done(null, undefined);
    try {
      done(null, JSON.parse(body));
    } catch (error) {
      done(new JsonInvalidError((error as Error).message, body.length));
    }
  };
  // An empty `Content-Type:` header says no more than an absent one: read the body as JSON too
  // (Fastify would otherwise refuse it as an invalid media type before any parser runs).
  app.addHook('onRequest', (request, _reply, done) => {
    if (request.headers['content-type']?.trim() === '') delete request.headers['content-type'];
    done();
  });
  app.removeContentTypeParser(['application/json', 'text/plain']);
  app.addContentTypeParser(
    ['application/json', 'text/plain'],
    { parseAs: 'string', bodyLimit },
    parseJson,
  );
  app.addContentTypeParser(
    /^application\/[\w.-]+\+json$/,
    { parseAs: 'string', bodyLimit },
    parseJson,
  );
  app.addContentTypeParser('*', { parseAs: 'string', bodyLimit }, (request, body, done) => {
    const type = request.headers['content-type'];
    if (type === undefined || type === '') return parseJson(request, body as string, done);
    done(new UnsupportedMediaTypeError(type));
  });
}
