import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Metrics } from '../../src/metrics.js';
import { build, startTestApp, type TestApp } from '../helper.js';

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
