import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { build, counter, startTestApp, type TestApp } from '../helper.js';

const APP_ORIGIN = 'https://app.example.com';
const EVIL = 'https://evil.example';
const BODY = JSON.stringify({ text: ['sent from a page'] });

describe('security headers, CORS and the cross-origin guard (defaults: no CORS)', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp();
  });
  after(() => t.close());

  const post = (headers: Record<string, string | undefined>, payload = BODY) =>
    t.app.inject({ method: 'POST', url: '/predict', headers, payload });

  test('every answer carries the security headers and names no server or version', async () => {
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = t.app.server.address() as { port: number };
    const base = `http://127.0.0.1:${port}`;
    const answers = [
      await fetch(`${base}/predict`, { method: 'POST', body: BODY }),
      await fetch(`${base}/health`),
      await fetch(`${base}/metrics`),
      await fetch(`${base}/nowhere`),
      await fetch(`${base}/predict`, { method: 'POST', body: '{' }),
      await fetch(`${base}/docs/`),
    ];
    for (const res of answers) {
      const where = `${res.status} ${res.url}`;
      const h = res.headers;
      assert.equal(h.get('x-content-type-options'), 'nosniff', where);
      assert.equal(h.get('x-frame-options'), 'DENY', where);
      assert.equal(h.get('referrer-policy'), 'no-referrer', where);
      assert.match(h.get('content-security-policy') ?? '', /frame-ancestors 'none'/, where);
      assert.match(h.get('strict-transport-security') ?? '', /^max-age=\d+$/, where);
      for (const leak of ['server', 'x-powered-by', 'x-aspnet-version', 'x-runtime', 'via']) {
        assert.equal(h.get(leak), null, `${leak} on ${where}`);
      }
      assert.equal(h.get('access-control-allow-origin'), null, `CORS is off: ${where}`);
      await res.arrayBuffer();
    }
    // The API's answers load nothing; only the docs' page may load its own assets.
    assert.equal(
      answers[0]?.headers.get('content-security-policy'),
      "default-src 'none';frame-ancestors 'none'",
    );
    assert.match(answers[5]?.headers.get('content-security-policy') ?? '', /script-src 'self'/);
  });

  test("a page on another site cannot have its visitors' browsers run the model (text/plain, no type, JSON)", async () => {
    const texts = await counter(t.metrics, 'sentiment_texts_total');
    for (const headers of [
      // A "simple" request: no preflight, so the browser sends it whatever CORS says.
      { origin: EVIL, 'content-type': 'text/plain;charset=UTF-8', 'sec-fetch-site': 'cross-site' },
      // fetch(url, { body: new Blob([...]) }): no Content-Type at all.
      { origin: EVIL, 'sec-fetch-site': 'cross-site' },
      // A sibling host is another origin too.
      { origin: 'https://other.example.com', 'sec-fetch-site': 'same-site' },
      // An older browser with no Sec-Fetch-*: Origin against Host.
      { origin: EVIL, 'content-type': 'text/plain' },
      { origin: 'null', 'content-type': 'text/plain' },
      // A form or navigation from another site (no Origin on some GET-like paths).
      { 'sec-fetch-site': 'cross-site', 'content-type': 'text/plain' },
    ]) {
      const res = await post(headers);
      assert.equal(res.statusCode, 403, JSON.stringify(headers));
      assert.equal(res.json().detail[0].type, 'origin_forbidden');
    }
    assert.equal(await counter(t.metrics, 'sentiment_texts_total'), texts, 'nothing classified');
  });

  test('same-origin pages (Swagger UI) and non-browser clients (curl, k6: no Content-Type) keep working', async () => {
    for (const headers of [
      {},
      { 'content-type': 'text/plain' },
      { 'content-type': 'application/json' },
      { origin: 'http://localhost:80', 'sec-fetch-site': 'same-origin' },
      // No Sec-Fetch-Site: Origin matches the Host the request was sent to.
      { origin: 'http://localhost:80', 'content-type': 'text/plain' },
      { 'sec-fetch-site': 'none' },
    ]) {
      const res = await post(headers);
      assert.equal(res.statusCode, 200, `${JSON.stringify(headers)}: ${res.body}`);
    }
  });

  test('the probe and the docs answer cross-site requests (they cost nothing and say nothing)', async () => {
    const headers = { origin: EVIL, 'sec-fetch-site': 'cross-site' };
    assert.equal((await t.app.inject({ url: '/health', headers })).statusCode, 200);
    assert.equal((await t.app.inject({ url: '/openapi.json', headers })).statusCode, 200);
  });

  test('CORS off: a preflight gets no permission', async () => {
    const res = await t.app.inject({
      method: 'OPTIONS',
      url: '/predict',
      headers: { origin: APP_ORIGIN, 'access-control-request-method': 'POST' },
    });
    assert.notEqual(res.statusCode, 204);
    assert.equal(res.headers['access-control-allow-origin'], undefined);
  });
});

describe('CORS_ORIGINS', () => {
  test('a listed origin gets CORS (preflight included) and passes the guard; others get neither', async (ctx) => {
    const t = await build(ctx, {
      CORS_ORIGINS: `${APP_ORIGIN},http://localhost:5173`,
      API_KEYS_SHA256: 'f'.repeat(64),
    });
    const preflight = await t.app.inject({
      method: 'OPTIONS',
      url: '/predict',
      headers: {
        origin: APP_ORIGIN,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type,authorization',
      },
    });
    // Answered before any key is asked for: a browser never sends one with a preflight.
    assert.equal(preflight.statusCode, 204);
    assert.equal(preflight.headers['access-control-allow-origin'], APP_ORIGIN);
    assert.match(String(preflight.headers['access-control-allow-headers']), /authorization/);
    assert.match(String(preflight.headers['access-control-allow-methods']), /POST/);
    assert.equal(preflight.headers['access-control-allow-credentials'], undefined);

    const listed = await t.app.inject({
      method: 'POST',
      url: '/predict',
      headers: { origin: APP_ORIGIN, 'sec-fetch-site': 'cross-site' },
      payload: BODY,
    });
    // Past the guard, on to the key check; the page can read the answer and its headers.
    assert.equal(listed.statusCode, 401);
    assert.equal(listed.headers['access-control-allow-origin'], APP_ORIGIN);
    assert.match(String(listed.headers['access-control-expose-headers']), /retry-after/);

    const other = await t.app.inject({
      method: 'POST',
      url: '/predict',
      headers: { origin: EVIL, 'sec-fetch-site': 'cross-site' },
      payload: BODY,
    });
    assert.equal(other.statusCode, 403);
    assert.equal(other.headers['access-control-allow-origin'], undefined);
  });

  test('a value that is not an exact origin stops the start', async (ctx) => {
    for (const value of ['*', 'app.example.com', 'https://app.example.com/', 'null']) {
      await assert.rejects(build(ctx, { CORS_ORIGINS: value }), /CORS_ORIGINS/, value);
    }
  });
});
