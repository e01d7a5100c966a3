import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest, onRequestHookHandler } from 'fastify';
import type { ApiKeyDigest } from '../config.js';
import { UnauthorizedError } from '../errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The name of the API key this request presented, once `authenticate` accepted it. */
    apiClient: string | undefined;
  }
}

/** The sha256 of a key, as configured (docs/security.md prints it with `sha256sum`). */
function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/**
 * The key a request presents: `Authorization: Bearer <key>` (RFC 6750), else `x-api-key`.
 * Any other Authorization scheme presents no key.
 */
export function presentedKey(request: FastifyRequest): string | undefined {
  const authorization = request.headers.authorization;
  if (authorization !== undefined) {
    const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization);
    if (match) return match[1];
  }
  const header = request.headers['x-api-key'];
  const key = Array.isArray(header) ? header[0] : header;
  return key?.trim() || undefined;
}

/**
 * The accepted keys, as digests only. A presented key is hashed and compared with every digest
 * with `timingSafeEqual`, always all of them (no early exit, no map lookup), so neither the
 * time taken nor anything else tells which key, or which part of one, matched.
 */
export class ApiKeyRing {
  private readonly digests: readonly Buffer[];
  private readonly names: readonly string[];

  constructor(keys: readonly ApiKeyDigest[]) {
    this.digests = keys.map((key) => Buffer.from(key.sha256, 'hex'));
    this.names = keys.map((key) => key.name);
  }

  get size(): number {
    return this.digests.length;
  }

  /** The name of the key `key` is, or undefined; constant-time in the key and in the match. */
  match(key: string): string | undefined {
    const digest = sha256(key);
    let found = -1;
    for (const [index, candidate] of this.digests.entries()) {
      // Branch-free select: the loop runs the same whichever index matches.
      const equal = timingSafeEqual(digest, candidate) ? 1 : 0;
      found = found * (1 - equal) + index * equal;
    }
    return found >= 0 ? this.names[found] : undefined;
  }

  /**
   * An `onRequest` hook: the request's key must be one of the ring's, or it is refused with
   * 401 before its body is read. The client's name goes on the request (rate limits) and on
   * its logger (so errors logged for it say whose they were).
   */
  hook(): onRequestHookHandler {
    return (request, _reply, done) => {
      const key = presentedKey(request);
      const name = key === undefined ? undefined : this.match(key);
      if (name === undefined) return done(new UnauthorizedError(key !== undefined));
      request.apiClient = name;
      request.log = request.log.child({ client: name });
      done();
    };
  }
}
