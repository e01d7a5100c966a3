import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { loadConfig } from '../../src/config.js';
import { Metrics } from '../../src/metrics.js';
import { startService, type Service } from '../../src/service.js';
import { build, counter, startTestApp, until, type TestApp } from '../helper.js';

/** A histogram's running sum and count in the app's registry. */
async function histogram(metrics: Metrics, name: string): Promise<{ sum: number; count: number }> {
  const metric = metrics.registry.getSingleMetric(name);
  if (!metric) throw new Error(`no metric ${name}`);
  const { values } = await metric.get();
  const of = (suffix: string) =>
    values.find((v) => (v as { metricName?: string }).metricName === `${name}${suffix}`)?.value ??
    0;
  return { sum: of('_sum'), count: of('_count') };
}

/** A body as `inject` takes it: JSON to serialize, or the raw text. */
type Payload = string | Record<string, unknown>;

const TIMING = ['x-total-time', 'x-tokenization-time', 'x-queue-time', 'x-inference-time'];

/** The four timing headers as numbers, each checked to be whole milliseconds. */
function timings(headers: Record<string, unknown>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const name of TIMING) {
    const value = headers[name];
    assert.equal(typeof value, 'string', `${name} is sent`);
    assert.match(value as string, /^\d+$/, `${name} is whole milliseconds`);
    out[name] = Number(value);
  }
  const total = out['x-total-time'] as number;
  const stages =
    (out['x-tokenization-time'] as number) +
    (out['x-queue-time'] as number) +
    (out['x-inference-time'] as number);
  assert.ok(total >= stages, `total ${total} ms covers the stages (${stages} ms)`);
  return out;
}

/** A service whose log lines are kept (parsed), started through the composition root. */
async function logging(
  env: Record<string, string>,
): Promise<{ service: Service; lines: () => Record<string, unknown>[] }> {
  const raw: string[] = [];
  const config = loadConfig({ INFERENCE_WORKERS: '1', LOG_LEVEL: 'trace', ...env });
  const service = await startService(
    config,
    pino({ level: config.logLevel }, { write: (line: string) => raw.push(line) }),
  );
  return {
    service,
    lines: () => raw.map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

describe('timing headers, as text-embeddings-inference sends them (bundled model)', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp();
  });
  after(() => t.close());
  const post = (url: string, payload: Payload) => t.app.inject({ method: 'POST', url, payload });

  test('a request the model computes: each stage as the metrics measured it, the total covering them', async () => {
    const tokenize = await histogram(t.metrics, 'sentiment_tokenize_duration_seconds');
    const queue = await histogram(t.metrics, 'sentiment_queue_wait_seconds');
    const inference = await histogram(t.metrics, 'sentiment_inference_duration_seconds');
    // Three new texts of one length on an idle server: one tokenizing call and one batch
    // (a padded graph batches texts of close lengths only).
    const texts = ['timing text 1', 'timing text 2', 'timing text 3'];
    const res = await post('/predict', { text: texts });
    assert.equal(res.statusCode, 200);
    const got = timings(res.headers);

    const tokenized = await histogram(t.metrics, 'sentiment_tokenize_duration_seconds');
    assert.equal(tokenized.count, tokenize.count + 1, 'one tokenizing call observed');
    // The header and the metric truncate the same duration, read along two float paths.
    const near = (header: number | undefined, ms: number) =>
      assert.ok(Math.abs((header as number) - Math.floor(ms)) <= 1, `${header} ms, measured ${ms}`);
    near(got['x-tokenization-time'], (tokenized.sum - tokenize.sum) * 1000);
    const queued = await histogram(t.metrics, 'sentiment_queue_wait_seconds');
    assert.equal(queued.count, queue.count + 1, 'one batch');
    near(got['x-queue-time'], (queued.sum - queue.sum) * 1000);
    // The batch's histogram reads its clock a moment after the texts' rows resolved.
    const ran =
      ((await histogram(t.metrics, 'sentiment_inference_duration_seconds')).sum - inference.sum) *
      1000;
    const header = got['x-inference-time'] as number;
    assert.ok(header <= ran && ran < header + 2, `inference ${header} ms, the batch ran ${ran} ms`);
  });

  test('every text from the cache: the stages are 0, the total is still sent, nothing is tokenized', async () => {
    const texts = ['cached timing text'];
    await post('/predict', { text: texts });
    const before = await histogram(t.metrics, 'sentiment_tokenize_duration_seconds');
    const res = await post('/predict', { text: texts });
    const got = timings(res.headers);
    assert.equal(got['x-tokenization-time'], 0);
    assert.equal(got['x-queue-time'], 0);
    assert.equal(got['x-inference-time'], 0);
    assert.equal(
      (await histogram(t.metrics, 'sentiment_tokenize_duration_seconds')).count,
      before.count,
    );
  });

  test('/explain and the Open Inference Protocol infer route send them too', async () => {
    const explained = await post('/explain', { text: ['timing explained here'] });
    assert.equal(explained.statusCode, 200);
    timings(explained.headers);
    const inferred = await post('/v2/models/sentiment/infer', {
      inputs: [{ name: 'text', shape: [1], datatype: 'BYTES', data: ['timing via v2'] }],
    });
    assert.equal(inferred.statusCode, 200);
    timings(inferred.headers);
  });

  test('the OpenAPI document lists them and the request id on each 200 that sends them', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json<{
      paths: Record<string, { post: { responses: Record<string, { headers?: object }> } }>;
    }>();
    for (const path of ['/predict', '/explain', '/v2/models/{model}/infer']) {
      const headers = Object.keys(doc.paths[path]?.post.responses['200']?.headers ?? {});
      assert.deepEqual(headers.sort(), ['x-request-id', ...TIMING].sort(), path);
    }
  });

  test('refusals carry no timing headers (TEI sends them with successes only)', async () => {
    const res = await post('/predict', { txt: ['x'] });
    assert.equal(res.statusCode, 422);
    for (const name of TIMING) assert.equal(res.headers[name], undefined, name);
  });
});

describe('x-request-id', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp();
  });
  after(() => t.close());
  const predict = (headers: Record<string, string>, payload: Payload = { text: ['id'] }) =>
    t.app.inject({ method: 'POST', url: '/predict', headers, payload });
  const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

  test("a client's id is echoed as sent", async () => {
    for (const id of [
      'trace-7f3a',
      '0af7651916cd43dd8448eb211c80319c',
      'a'.repeat(128),
      'b64+/=:@.x_',
    ]) {
      const res = await predict({ 'x-request-id': id });
      assert.equal(res.statusCode, 200);
      assert.equal(res.headers['x-request-id'], id);
    }
  });

  test('none, or one too long or holding other characters: a fresh UUID instead, never the input cut', async () => {
    const seen = new Set<string>();
    for (const id of [
      undefined,
      '',
      'a'.repeat(129),
      'has space',
      'quote"d',
      'semi;colon',
      'ünï',
    ]) {
      const res = await predict(id === undefined ? {} : { 'x-request-id': id });
      const echoed = res.headers['x-request-id'] as string;
      assert.match(echoed, UUID, `for ${JSON.stringify(id)}`);
      seen.add(echoed);
    }
    assert.equal(seen.size, 7, 'each request its own id');
  });

  test('refusals echo it too (422, 415, 404, 405)', async () => {
    const id = 'refused-1';
    assert.equal((await predict({ 'x-request-id': id }, { txt: [] })).headers['x-request-id'], id);
    const media = await predict({ 'x-request-id': id, 'content-type': 'application/xml' }, '<a/>');
    assert.equal(media.statusCode, 415);
    assert.equal(media.headers['x-request-id'], id);
    for (const [method, url] of [
      ['GET', '/nowhere'],
      ['DELETE', '/predict'],
    ] as const) {
      const res = await t.app.inject({ method, url, headers: { 'x-request-id': id } });
      assert.equal(res.headers['x-request-id'], id, `${method} ${url}`);
    }
  });
});

test('a page of a CORS_ORIGINS origin may send x-request-id and read it and the timing headers', async (ctx) => {
  const origin = 'https://app.example.com';
  const t = await build(ctx, { CORS_ORIGINS: origin });
  const preflight = await t.app.inject({
    method: 'OPTIONS',
    url: '/predict',
    headers: {
      origin,
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'content-type,x-request-id',
    },
  });
  assert.match(String(preflight.headers['access-control-allow-headers']), /x-request-id/);
  const res = await t.app.inject({
    method: 'POST',
    url: '/predict',
    headers: { origin, 'x-request-id': 'from-a-page' },
    payload: { text: ['cross-origin timing'] },
  });
  assert.equal(res.headers['x-request-id'], 'from-a-page');
  const exposed = String(res.headers['access-control-expose-headers']).split(/,\s*/);
  for (const name of ['x-request-id', ...TIMING]) assert.ok(exposed.includes(name), name);
});

describe('logs: every line of a request has its id; texts only with LOG_TEXTS=1', () => {
  // A 1 ms request timeout: the request times out (504), and a 504 is logged on the
  // request's logger. QUEUE_MAX_WAIT_MS=0 so admission cannot refuse it first.
  const env = { REQUEST_TIMEOUT_MS: '1', QUEUE_MAX_WAIT_MS: '0' };
  const marker = 'zqxjmarker';
  const texts = Array.from({ length: 64 }, (_, i) => `${marker} number ${i} of a request`);
  const send = (service: Service, id: string, payload: Payload) =>
    service.app.inject({
      method: 'POST',
      url: '/predict',
      headers: { 'x-request-id': id },
      payload,
    });

  test('by default: the 504 line carries the request id, and no line holds a text', async (ctx) => {
    const { service, lines } = await logging(env);
    ctx.after(() => service.close());
    const timedOut = await send(service, 'quiet-1', { text: texts });
    assert.equal(timedOut.statusCode, 504);
    assert.equal((await send(service, 'quiet-2', { txt: [marker] })).statusCode, 422);
    const own = lines().filter((line) => line.requestId === 'quiet-1');
    assert.ok(own.length >= 1, 'the timeout is logged on the request');
    assert.ok(own.every((line) => line.level === 40 && /did not complete/.test(String(line.msg))));
    const leaked = lines().filter((line) => JSON.stringify(line).includes(marker));
    assert.deepEqual(leaked, [], 'no text in any line');
  });

  test('LOG_TEXTS=1: the body, refused ones too, on a line with the request id', async (ctx) => {
    const { service, lines } = await logging({ ...env, LOG_TEXTS: '1' });
    ctx.after(() => service.close());
    assert.equal((await send(service, 'loud-1', { text: texts })).statusCode, 504);
    assert.equal((await send(service, 'loud-2', { txt: [marker] })).statusCode, 422);
    const first = lines().filter((line) => line.requestId === 'loud-1');
    assert.deepEqual(
      first.map((line) => line.msg),
      ['request body', 'The request did not complete within 1 ms.'],
    );
    assert.deepEqual((first[0]?.body as { text: string[] }).text, texts);
    const second = lines().filter((line) => line.requestId === 'loud-2');
    assert.deepEqual(second[0]?.body, { txt: [marker] });
    const unlabelled = lines().filter(
      (line) => JSON.stringify(line).includes(marker) && line.requestId === undefined,
    );
    assert.deepEqual(unlabelled, [], 'every line with a text names its request');
  });
});

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
