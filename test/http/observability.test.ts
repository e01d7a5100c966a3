import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { describe, test } from 'node:test';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { Metrics } from '../../src/metrics.js';
import { build, counter, until } from '../helper.js';

describe('metrics: refusals by type, requests in flight, start-up times', () => {
  test('each refusal counts once under its type; answers that are not refusals do not', async (ctx) => {
    const t = await build(ctx, { BODY_LIMIT_BYTES: '1024', MAX_TEXTS_PER_REQUEST: '2' });
    const refusals = (type: string) =>
      counter(t.metrics, 'sentiment_request_refusals_total', { type });
    assert.equal(await refusals('string_type'), 0, 'exported at 0 before any refusal');
    const cases: [string, number, string, string?][] = [
      ['{}', 422, 'missing'],
      ['{"text": "one"}', 422, 'list_type'],
      ['{"text": [', 422, 'json_invalid'],
      ['{"text": ["a", "b", "c"]}', 413, 'too_long'],
      [JSON.stringify({ text: ['a'.repeat(2000)] }), 413, 'body_too_large'],
      ['text=hello', 415, 'unsupported_media_type', 'application/x-www-form-urlencoded'],
    ];
    for (const [payload, status, type, contentType] of cases) {
      const before = await refusals(type);
      const res = await t.app.inject({
        method: 'POST',
        url: '/predict',
        payload,
        headers: { 'content-type': contentType ?? 'application/json' },
      });
      assert.equal(res.statusCode, status, payload);
      assert.equal(await refusals(type), before + 1, `${status} ${type}`);
    }
    const total = () => counter(t.metrics, 'sentiment_request_refusals_total');
    const all = await total();
    assert.equal(
      (await t.app.inject({ method: 'POST', url: '/predict', payload: { text: ['ok'] } }))
        .statusCode,
      200,
    );
    assert.equal((await t.app.inject({ method: 'GET', url: '/health' })).statusCode, 200);
    assert.equal(await total(), all, 'successes are not refusals');
    await t.app.inject({ method: 'GET', url: '/nowhere' });
    assert.equal(await refusals('not_found'), 1);
    // The v2 routes answer the protocol's {"error"} but are counted by the type behind it.
    const v2 = await t.app.inject({
      method: 'POST',
      url: '/v2/models/sentiment/infer',
      payload: '{"inputs": [',
      headers: { 'content-type': 'application/json' },
    });
    assert.equal(v2.statusCode, 400);
    assert.equal(await refusals('json_invalid'), 2);
  });

  test('a request Node cannot parse is counted too (raw socket, 400 bad_request)', async (ctx) => {
    const t = await build(ctx);
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = t.app.server.address() as { port: number };
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => socket.write('NOT HTTP AT ALL\r\n\r\n'));
      let data = '';
      socket.on('data', (chunk) => (data += chunk.toString()));
      socket.on('close', () => resolve(data));
      socket.on('error', reject);
      socket.setTimeout(5_000, () => socket.destroy(new Error('no answer within 5 s')));
    });
    assert.match(answer, /^HTTP\/1\.1 400/);
    assert.equal(
      await counter(t.metrics, 'sentiment_request_refusals_total', { type: 'bad_request' }),
      1,
    );
  });

  test('the type label is bounded; failures, aborts and unknown types are sorted as documented', async () => {
    const metrics = new Metrics();
    const count = (type: string) => counter(metrics, 'sentiment_request_refusals_total', { type });
    metrics.answeredError(422, 'a_type_from_the_future');
    assert.equal(await count('other'), 1);
    assert.equal(await count('a_type_from_the_future'), 0);
    metrics.answeredError(500, 'internal_error');
    metrics.answeredError(504, 'timeout');
    metrics.answeredError(499, 'aborted');
    metrics.answeredError(503, 'shutting_down');
    assert.equal(await count('internal_error'), 0);
    assert.equal(await count('timeout'), 0);
    assert.equal(await count('aborted'), 0);
    assert.equal(await count('shutting_down'), 1, 'draining is a refusal');
    const { values } = await (
      metrics.registry.getSingleMetric('sentiment_request_refusals_total') as {
        get(): Promise<{ values: unknown[] }>;
      }
    ).get();
    assert.ok(values.length < 40, `${values.length} series at most, whatever clients send`);
  });

  test('in flight: a request counts from its headers until its response closes, a client that leaves included', async (ctx) => {
    const t = await build(ctx);
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = t.app.server.address() as { port: number };
    const inFlight = () => counter(t.metrics, 'sentiment_http_requests_in_flight');
    assert.equal(await inFlight(), 0);
    const body = '{"text": ["in flight"]}';
    const socket = connect(port, '127.0.0.1');
    socket.on('error', () => undefined);
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    socket.write(
      `POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 5)}`,
    );
    await until(async () => (await inFlight()) === 1, 'the half-sent request counted');
    // Scraped over HTTP, the gauge counts the scrape as well.
    const scraped = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    assert.match(scraped, /^sentiment_http_requests_in_flight 2$/m);
    socket.destroy();
    await until(async () => (await inFlight()) === 0, 'a client that left no longer counted');
    await fetch(`http://127.0.0.1:${port}/predict`, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json' },
    });
    await until(async () => (await inFlight()) === 0, 'an answered request no longer counted');
  });

  test('start-up: model load and warm-up seconds are set, and exported', async (ctx) => {
    const t = await build(ctx);
    const load = await counter(t.metrics, 'sentiment_model_load_seconds');
    const warmup = await counter(t.metrics, 'sentiment_model_warmup_seconds');
    assert.ok(load > 0 && load < 60, `load ${load} s`);
    assert.ok(warmup > 0 && warmup < 60, `warm-up ${warmup} s`);
    const text = (await t.app.inject({ method: 'GET', url: '/metrics' })).body;
    assert.match(text, /^sentiment_model_load_seconds \d/m);
    assert.match(text, /^sentiment_model_warmup_seconds \d/m);
    assert.match(
      text,
      /^sentiment_model_info\{source="[^"]+",revision="[^"]+",dtype="fp32",graph="[^"]+",runtime="[^"]+"\} 1$/m,
    );
  });
});

test("README's metrics table lists every metric of src/metrics.ts", () => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const table = readme.slice(readme.indexOf('### Metrics'), readme.indexOf('## Explanations'));
  const documented = new Set([...table.matchAll(/`(sentiment_[a-z0-9_]+)`/g)].map((m) => m[1]));
  const defaults = new Registry();
  collectDefaultMetrics({ register: defaults, prefix: 'sentiment_' });
  const nodeDefaults = new Set(defaults.getMetricsAsArray().map((metric) => metric.name));
  const own = new Metrics().registry
    .getMetricsAsArray()
    .map((metric) => metric.name)
    .filter((name) => !nodeDefaults.has(name));
  assert.ok(own.length > 20, "the service's own metrics were found");
  assert.deepEqual(
    own.filter((name) => !documented.has(name)),
    [],
    'each has a row in README.md, "### Metrics"',
  );
});
