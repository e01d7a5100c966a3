import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { shared, skipWithoutShared } from '../../devkit/shared-data.js';
import { sst2Sentences } from '../../devkit/sst2-sentences.js';
import { build, counter, startTestApp, type TestApp } from '../helper.js';

interface Golden {
  id: string;
  text: string;
  input_ids: number[];
  probs: number[];
}

type Predictions = { predictions: { label: string; score: number }[][] };

describe('POST /predict on the bundled model (real ONNX Runtime)', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp({ INFERENCE_WORKERS: '2', CACHE_HITS_HEADER: '1' });
  });
  after(() => t.close());

  const predict = (
    body: unknown,
    headers: Record<string, string> = { 'content-type': 'application/json' },
  ) =>
    t.app.inject({
      method: 'POST',
      url: '/predict',
      headers,
      payload: typeof body === 'string' ? body : JSON.stringify(body),
    });

  test("answers the seed's example: one list per text, both classes in class-id order", async () => {
    const res = await predict({ text: ['I hate you.', 'I love you.'] });
    assert.equal(res.statusCode, 200);
    const body = res.json<Predictions>();
    assert.deepEqual(Object.keys(body), ['predictions']);
    assert.equal(body.predictions.length, 2);
    for (const row of body.predictions) {
      assert.deepEqual(
        row.map((s) => s.label),
        ['NEGATIVE', 'POSITIVE'],
      );
      assert.deepEqual(Object.keys(row[0] as object), ['label', 'score']);
      assert.ok(Math.abs(row.reduce((sum, s) => sum + s.score, 0) - 1) < 1e-9);
    }
    const [hate, love] = body.predictions as [
      Predictions['predictions'][0],
      Predictions['predictions'][0],
    ];
    assert.ok((hate[0]?.score ?? 0) > 0.5, 'I hate you. is NEGATIVE');
    assert.ok((love[1]?.score ?? 0) > 0.5, 'I love you. is POSITIVE');
  });

  test(
    'reproduces every golden probability within 1e-4, alone and in one padded batch',
    { skip: skipWithoutShared('models/sst2-tiny-distilbert/golden.jsonl') },
    async () => {
      const golden = readFileSync(shared('models/sst2-tiny-distilbert/golden.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as Golden);
      // All at once: the texts share padded batches of mixed lengths.
      const together = (await predict({ text: golden.map((g) => g.text) })).json<Predictions>()
        .predictions;
      // One at a time on an app without a cache, so every text is computed unpadded.
      const uncached = await startTestApp({ CACHE_MEMORY_BYTES: '0' });
      try {
        for (const [i, g] of golden.entries()) {
          const res = await uncached.app.inject({
            method: 'POST',
            url: '/predict',
            payload: { text: [g.text] },
          });
          const alone = res.json<Predictions>().predictions[0];
          for (const [c, p] of g.probs.entries()) {
            assert.ok(
              Math.abs((together[i]?.[c]?.score as number) - p) < 1e-4,
              `${g.id} class ${c} batched`,
            );
            assert.ok(
              Math.abs((alone?.[c]?.score as number) - p) < 1e-4,
              `${g.id} class ${c} alone`,
            );
          }
        }
      } finally {
        await uncached.close();
      }
    },
  );

  test('padding does not change any score beyond 1e-5', async () => {
    const short = 'great';
    const long =
      'an utterly tedious , overlong and joyless slog that never finds a reason to exist '.repeat(
        4,
      );
    const alone = (await predict({ text: [short] })).json<Predictions>().predictions[0];
    // A fresh app so the short text is not a cache hit, batched with a much longer text (no
    // padding cap, so the two share one forward pass).
    const other = await startTestApp({ CACHE_MEMORY_BYTES: '0', BATCH_MAX_PADDING_PCT: '100' });
    try {
      const res = await other.app.inject({
        method: 'POST',
        url: '/predict',
        payload: { text: [long, short] },
      });
      const padded = res.json<Predictions>().predictions[1];
      assert.match(await other.metrics.registry.metrics(), /^sentiment_batch_size_count 1$/m);
      for (let c = 0; c < 2; c++)
        assert.ok(Math.abs((alone?.[c]?.score as number) - (padded?.[c]?.score as number)) < 1e-5);
    } finally {
      await other.close();
    }
  });

  test('an empty list → 200 with no predictions', async () => {
    const res = await predict({ text: [] });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json(), { predictions: [] });
  });

  test('an empty string and upper-case text are predicted', async () => {
    const res = await predict({ text: ['', 'I LOVE THIS MOVIE'] });
    assert.equal(res.statusCode, 200);
    assert.equal(res.json<Predictions>().predictions.length, 2);
  });

  test('a body with no Content-Type is read as JSON (the course k6 script sends none)', async () => {
    const res = await predict('{"text": ["I love you."]}', {});
    assert.equal(res.statusCode, 200);
    assert.equal(res.json<Predictions>().predictions.length, 1);
  });

  test('a text far past 512 tokens is truncated, not refused', async () => {
    const res = await predict({ text: ['good '.repeat(1500)] });
    assert.equal(res.statusCode, 200);
    assert.equal(res.json<Predictions>().predictions[0]?.length, 2);
  });

  test('with no MAX_TEXT_CHARS set, a 3,000-word review and a ~4 MB text get 200', async () => {
    const words = sst2Sentences().sentences.join(' ').split(' ');
    const review = words.slice(0, 3000).join(' ');
    assert.ok(review.length > 10_000, 'longer than the old default limit');
    const huge = review.repeat(Math.ceil(4e6 / review.length)).slice(0, 4_000_000);
    for (const text of [review, huge]) {
      const res = await predict({ text: [text] });
      assert.equal(res.statusCode, 200, res.body.slice(0, 200));
      assert.equal(res.json<Predictions>().predictions[0]?.length, 2);
    }
    type Doc = { paths: Record<string, { post: { requestBody: unknown } }> };
    const doc = (await t.app.inject({ url: '/openapi.json' })).json<Doc>();
    const body = doc.paths['/predict']?.post.requestBody as {
      content: Record<string, { schema: { properties: { text: { items: object } } } }>;
    };
    const items = body.content['application/json']?.schema.properties.text.items;
    assert.ok(items && !('maxLength' in items), 'the OpenAPI document sets no maxLength');
  });

  test('the same body twice gives byte-identical JSON', async () => {
    const body = { text: ['a rare and moving film', 'I hate you.', 'a rare and moving film'] };
    const first = await predict(body);
    const second = await predict(body);
    assert.equal(first.statusCode, 200);
    assert.equal(first.body, second.body);
    assert.equal(second.headers['x-cache-hits'], '3');
  });

  test('x-cache-hits is sent only when CACHE_HITS_HEADER=1: it tells who else sent a text', async (ctx) => {
    const quiet = await build(ctx);
    const body = { text: ['a text somebody else sent'] };
    for (let i = 0; i < 2; i++) {
      const res = await quiet.app.inject({ method: 'POST', url: '/predict', payload: body });
      assert.equal(res.statusCode, 200);
      assert.equal(res.headers['x-cache-hits'], undefined);
    }
    assert.equal(
      await counter(quiet.metrics, 'sentiment_cache_lookups_total', {
        tier: 'memory',
        result: 'hit',
      }),
      1,
      'operators still see the hit in /metrics',
    );
  });

  test('/metrics names the model served: source, revision or digest, dtype, graph, runtime', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/metrics' });
    const line = res.body.split('\n').find((l) => l.startsWith('sentiment_model_info{'));
    assert.ok(line, 'an info metric');
    assert.match(line, /source="bundled model [^"]*sst2-tiny-distilbert"/);
    assert.match(line, /dtype="fp32"/);
    assert.match(line, /graph="[^"]*onnx\/model\.onnx"/);
    assert.match(line, /runtime="\d+\.\d+\.\d+"/);
    assert.match(line, /\} 1$/);
  });

  test('GET /health → {"status":"healthy"}', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/health' });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json(), { status: 'healthy' });
  });
});
