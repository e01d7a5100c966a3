import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Fastify from 'fastify';
import { loadConfig } from '../../src/config.js';
import { ConfigError } from '../../src/errors.js';
import { registerAccessControl, routeAccess } from '../../src/http/access.js';
import { ApiKeyRing } from '../../src/http/auth.js';
import { registerErrorHandling } from '../../src/http/error-handler.js';
import { build, counter, startTestApp, type TestApp } from '../helper.js';

const sha256 = (key: string) => createHash('sha256').update(key).digest('hex');
const ALICE = 'alice-key-0123456789';
const BOB = 'bob-key-from-the-file';
const CHALLENGE = 'Bearer realm="sentiment-api"';

function keysFile(lines: string[]): string {
  const file = join(mkdtempSync(join(tmpdir(), 'keys-')), 'api-keys');
  writeFileSync(file, lines.join('\n'));
  return file;
}

describe('API keys', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp({
      API_KEYS_SHA256: `alice:${sha256(ALICE)}`,
      API_KEYS_FILE: keysFile(['# name:digest, one a line', `bob:${sha256(BOB)}`, '']),
    });
  });
  after(() => t.close());

  const predict = (headers: Record<string, string | undefined>) =>
    t.app.inject({ method: 'POST', url: '/predict', headers, payload: { text: ['fine'] } });

  test('no key: 401 with the Bearer challenge and the documented detail; nothing is classified', async () => {
    const before = await counter(t.metrics, 'sentiment_texts_total');
    const res = await predict({});
    assert.equal(res.statusCode, 401);
    assert.equal(res.headers['www-authenticate'], CHALLENGE);
    assert.deepEqual(res.json(), {
      detail: [{ type: 'unauthorized', loc: [], msg: 'A valid API key is required.' }],
    });
    assert.equal(await counter(t.metrics, 'sentiment_texts_total'), before);
  });

  test('a wrong key, another scheme or an empty header: 401, invalid_token when a key was sent', async () => {
    for (const headers of [
      { authorization: `Bearer ${ALICE}x` },
      { authorization: `Bearer ${sha256(ALICE)}` },
      { 'x-api-key': 'nope' },
    ]) {
      const res = await predict(headers);
      assert.equal(res.statusCode, 401, JSON.stringify(headers));
      assert.equal(res.headers['www-authenticate'], `${CHALLENGE}, error="invalid_token"`);
    }
    for (const headers of [{ authorization: `Basic ${ALICE}` }, { 'x-api-key': '' }]) {
      const res = await predict(headers);
      assert.equal(res.statusCode, 401, JSON.stringify(headers));
      assert.equal(res.headers['www-authenticate'], CHALLENGE);
    }
  });

  test('the key from the variable and from the file, as Bearer or x-api-key: 200', async () => {
    for (const headers of [
      { authorization: `Bearer ${ALICE}` },
      { authorization: `bearer ${BOB}` },
      { 'x-api-key': ALICE },
      { 'x-api-key': BOB },
    ]) {
      const res = await predict(headers);
      assert.equal(res.statusCode, 200, JSON.stringify(headers));
      assert.equal(res.json().predictions.length, 1);
    }
  });

  test('refused in onRequest, before the body is read: an oversized body without a key is 401, not 413', async () => {
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = t.app.server.address() as { port: number };
    // Announce 64 MiB (over BODY_LIMIT_BYTES) and send none of it: the answer comes anyway.
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(
        {
          port,
          method: 'POST',
          path: '/predict',
          headers: { 'content-type': 'application/json', 'content-length': 64 * 1024 * 1024 },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
          req.destroy();
        },
      );
      req.on('error', reject);
      req.setTimeout(5_000, () => reject(new Error('no answer before the body')));
      req.flushHeaders();
    });
    assert.equal(status, 401);
  });

  test('/health never asks for a key; /metrics, /docs and /openapi.json do not by default', async () => {
    for (const url of ['/health', '/metrics', '/docs', '/openapi.json']) {
      assert.equal((await t.app.inject({ url })).statusCode, 200, url);
    }
    assert.equal((await t.app.inject({ method: 'HEAD', url: '/health' })).statusCode, 200);
  });

  test('a route added later is behind the key without asking (everything but the allow-list)', async (ctx) => {
    for (const url of ['/explain', '/feedback', '/v2/models/sst2/infer', '/predict']) {
      assert.equal(routeAccess(url, 'POST'), 'model', url);
    }
    assert.equal(routeAccess('/health', 'GET'), 'probe');
    assert.equal(routeAccess('/predict', 'OPTIONS'), 'probe', 'CORS preflights carry no key');
    // The same wiring as buildApp, then a route it has never heard of.
    const app = Fastify();
    ctx.after(() => app.close());
    registerErrorHandling(app, 1024);
    await registerAccessControl(app, loadConfig({ API_KEYS_SHA256: sha256(ALICE) }));
    app.post('/explain', async () => ({ explained: true }));
    app.get('/health', async () => ({ status: 'healthy' }));
    assert.equal((await app.inject({ method: 'POST', url: '/explain' })).statusCode, 401);
    const ok = await app.inject({
      method: 'POST',
      url: '/explain',
      headers: { 'x-api-key': ALICE },
    });
    assert.deepEqual(ok.json(), { explained: true });
    assert.equal((await app.inject({ url: '/health' })).statusCode, 200);
  });

  test('OpenAPI: security schemes, the requirement on /predict and its 401/403/429 answers', async () => {
    const doc = (await t.app.inject({ url: '/openapi.json' })).json();
    assert.deepEqual(Object.keys(doc.components.securitySchemes).sort(), [
      'apiKeyHeader',
      'bearerAuth',
    ]);
    assert.equal(doc.components.securitySchemes.bearerAuth.scheme, 'bearer');
    const predict = doc.paths['/predict'].post;
    assert.deepEqual(predict.security, [{ bearerAuth: [] }, { apiKeyHeader: [] }]);
    for (const status of ['401', '403', '429']) assert.ok(predict.responses[status], status);
    assert.equal(doc.paths['/health'].get.security, undefined, 'the probe is open');
  });
});

describe('API keys on /metrics and /docs', () => {
  test('METRICS_REQUIRE_KEY=1 and DOCS_REQUIRE_KEY=1: 401 without a key, 200 with; /health stays open', async (t) => {
    const app = (
      await build(t, {
        API_KEYS_SHA256: sha256(ALICE),
        METRICS_REQUIRE_KEY: '1',
        DOCS_REQUIRE_KEY: '1',
      })
    ).app;
    for (const url of ['/metrics', '/docs', '/docs/static/swagger-ui.css', '/openapi.json']) {
      for (const method of ['GET', 'HEAD'] as const) {
        const res = await app.inject({ method, url });
        assert.equal(res.statusCode, 401, `${method} ${url}`);
        assert.equal(res.headers['www-authenticate'], CHALLENGE);
      }
      const ok = await app.inject({ url, headers: { 'x-api-key': ALICE } });
      assert.equal(ok.statusCode, 200, url);
    }
    assert.equal((await app.inject({ url: '/health' })).statusCode, 200);
  });

  test('keys off: no security scheme in the document, the model routes are open', async (t) => {
    const app = (await build(t)).app;
    const doc = (await app.inject({ url: '/openapi.json' })).json();
    assert.equal(doc.components?.securitySchemes, undefined);
    assert.equal(doc.paths['/predict'].post.security, undefined);
    assert.equal(doc.paths['/predict'].post.responses['401'], undefined);
    const res = await app.inject({ method: 'POST', url: '/predict', payload: { text: ['x'] } });
    assert.equal(res.statusCode, 200);
  });
});

describe('API key settings', () => {
  test('digests are checked at start, with the variable named; the file may not be missing', () => {
    for (const env of [
      { API_KEYS_SHA256: 'not-a-digest' },
      { API_KEYS_SHA256: `${sha256('a')},${sha256('b').slice(1)}` },
      { API_KEYS_SHA256: `bad name:${sha256('a')}` },
      { API_KEYS_FILE: '/nonexistent/keys' },
      { API_KEYS_FILE: keysFile([ALICE]) },
      { METRICS_REQUIRE_KEY: '1' },
      { DOCS_REQUIRE_KEY: '1' },
    ]) {
      assert.throws(() => loadConfig(env), ConfigError, JSON.stringify(env));
    }
    const config = loadConfig({
      API_KEYS_SHA256: ` ${sha256('a').toUpperCase()} , ci:${sha256('b')} `,
    });
    assert.deepEqual(config.apiKeys, [
      { name: `key-${sha256('a').slice(0, 8)}`, sha256: sha256('a') },
      { name: 'ci', sha256: sha256('b') },
    ]);
    // The message never echoes what was configured (it might be a key pasted by mistake).
    assert.throws(
      () => loadConfig({ API_KEYS_FILE: keysFile([ALICE]) }),
      (error: Error) => !error.message.includes(ALICE),
    );
  });

  test('the ring names the matching key whichever position it holds, and nothing else', () => {
    const keys = ['k0', 'k1', 'k2'].map((key, i) => ({ name: `n${i}`, sha256: sha256(key) }));
    const ring = new ApiKeyRing(keys);
    assert.equal(ring.match('k0'), 'n0');
    assert.equal(ring.match('k2'), 'n2');
    assert.equal(ring.match('k3'), undefined);
    assert.equal(ring.match(''), undefined);
    assert.equal(new ApiKeyRing([]).match('k0'), undefined);
  });
});
