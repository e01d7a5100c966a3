import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, test } from 'node:test';
import helmet from '@fastify/helmet';
import Fastify, { type FastifyInstance } from 'fastify';
import { HELMET_OPTIONS, ROUTE_HELMET } from '../../src/http/security.js';
import { startTestApp, type TestApp } from '../helper.js';

/** Headers every answer has whoever sets them: not helmet's. */
const NOT_HELMET = new Set(['content-type', 'content-length', 'date', 'connection', 'keep-alive']);

/** An answer's header lines as sent on the wire, in their order (names in lower case). */
function wireHeaders(
  port: number,
  method: string,
  path: string,
  body?: string,
): Promise<{ status: number; lines: [string, string][] }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path }, (res) => {
      res.resume();
      res.on('end', () => {
        const lines: [string, string][] = [];
        for (let i = 0; i < res.rawHeaders.length; i += 2) {
          lines.push([(res.rawHeaders[i] ?? '').toLowerCase(), res.rawHeaders[i + 1] ?? '']);
        }
        resolve({ status: res.statusCode ?? 0, lines });
      });
    });
    req.setTimeout(10_000, () => req.destroy(new Error(`${method} ${path} timed out`)));
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * The plain plugin, with the app's options and route policies, on routes at the same paths:
 * what each answer's security headers would be had @fastify/helmet set them per request.
 */
async function plainHelmet(): Promise<FastifyInstance> {
  const plain = Fastify({ logger: false });
  await plain.register(helmet, HELMET_OPTIONS);
  plain.post('/predict', () => ({}));
  plain.get('/docs/', { helmet: ROUTE_HELMET.docs }, () => '');
  plain.get('/', { helmet: ROUTE_HELMET.page }, () => '');
  await plain.listen({ port: 0, host: '127.0.0.1' });
  return plain;
}

const portOf = (app: FastifyInstance) => (app.server.address() as { port: number }).port;

describe("security headers: the recorded ones are exactly @fastify/helmet's own", () => {
  let t: TestApp;
  let plain: FastifyInstance;
  before(async () => {
    t = await startTestApp();
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    plain = await plainHelmet();
  });
  after(async () => {
    await plain.close();
    await t.close();
  });

  for (const [what, method, path, body, status] of [
    ['predict 200', 'POST', '/predict', '{"text":["fine"]}', 200],
    ['404', 'GET', '/nowhere', undefined, 404],
    ['predict 422', 'POST', '/predict', '{"txt":[]}', 422],
    ['docs', 'GET', '/docs/', undefined, 200],
    ['page', 'GET', '/', undefined, 200],
  ] as const) {
    // Names compare in lower case: HTTP's are case-insensitive, and Fastify writes its own so.
    test(`${what}: the same header lines, values and order`, async () => {
      const ours = await wireHeaders(portOf(t.app), method, path, body);
      const theirs = await wireHeaders(portOf(plain), method, path, body);
      assert.equal(ours.status, status, `${method} ${path}`);
      const helmetNames = new Set(
        theirs.lines.map(([name]) => name).filter((name) => !NOT_HELMET.has(name)),
      );
      assert.ok(helmetNames.has('content-security-policy'), 'helmet set its headers');
      const pick = (lines: [string, string][]) => lines.filter(([name]) => helmetNames.has(name));
      assert.deepEqual(pick(ours.lines), pick(theirs.lines));
    });
  }
});
