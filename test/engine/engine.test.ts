import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { build, counter, until, type TestApp } from '../helper.js';

const longTexts = (n: number, tag: string) =>
  Array.from(
    { length: n },
    (_, i) =>
      `${tag} ${i}: ` + 'a thoroughly long review that goes on and on about the film '.repeat(40),
  );

/** Waits until the app has read `n` texts from request bodies. */
const received = (t: TestApp, n: number) =>
  until(
    async () => (await counter(t.metrics, 'sentiment_texts_total')) >= n,
    `${n} texts received`,
  );

/** Waits until at least `n` texts are tokenized and waiting in the batcher's queue. */
const queued = (t: TestApp, n: number) =>
  until(() => t.engine.batcher.depth >= n, `${n} texts queued`);

/**
 * Listens on a free loopback port and sends 64 long texts, so the queue holds work behind
 * which a test's own request waits; `post` sends more, `busy` is that first request.
 */
async function busyOverHttp(t: TestApp) {
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = t.app.server.address() as { port: number };
  const post = (text: string[], signal?: AbortSignal) =>
    fetch(`http://127.0.0.1:${port}/predict`, {
      method: 'POST',
      body: JSON.stringify({ text }),
      headers: { 'content-type': 'application/json' },
      signal,
    });
  const busy = post(longTexts(64, 'busy'));
  await queued(t, 40);
  return { post, busy };
}

describe('engine behaviour under concurrency (real ONNX Runtime worker)', () => {
  test('identical texts in flight at once are computed once (coalescing across requests)', async (ctx) => {
    const t = await build(ctx, { CACHE_MEMORY_BYTES: '0' });
    const responses = await Promise.all(
      Array.from({ length: 10 }, () =>
        t.app.inject({
          method: 'POST',
          url: '/predict',
          payload: { text: ['the same text, ten times'] },
        }),
      ),
    );
    assert.ok(responses.every((r) => r.statusCode === 200));
    assert.equal(new Set(responses.map((r) => r.body)).size, 1);
    assert.equal(await counter(t.metrics, 'sentiment_computed_texts_total'), 1);
    assert.equal(await counter(t.metrics, 'sentiment_coalesced_texts_total'), 9);
  });

  test('a text repeated inside one body is computed once', async (ctx) => {
    const t = await build(ctx, { CACHE_MEMORY_BYTES: '0' });
    const res = await t.app.inject({
      method: 'POST',
      url: '/predict',
      payload: { text: ['x y z', 'x y z', 'x y z'] },
    });
    assert.equal(res.json<{ predictions: unknown[] }>().predictions.length, 3);
    assert.equal(await counter(t.metrics, 'sentiment_computed_texts_total'), 1);
  });

  test('a padded batch counts its real and padding tokens', async (ctx) => {
    // The bundled model has only the padded graph; the cap at 100% keeps both in one batch.
    const t = await build(ctx, { CACHE_MEMORY_BYTES: '0', BATCH_MAX_PADDING_PCT: '100' });
    // [CLS] i love you [SEP] and [CLS] good [SEP]: one batch of 2 rows × 5 = 10 tokens.
    const res = await t.app.inject({
      method: 'POST',
      url: '/predict',
      payload: { text: ['I love you', 'good'] },
    });
    assert.equal(res.statusCode, 200);
    assert.equal(await counter(t.metrics, 'sentiment_tokens_total'), 8);
    assert.equal(await counter(t.metrics, 'sentiment_padding_tokens_total'), 2);
    const exposition = await t.metrics.registry.metrics();
    assert.match(exposition, /^sentiment_batch_size_sum 2$/m, 'one batch of two texts');
    assert.match(exposition, /^sentiment_batch_size_count 1$/m);
  });

  test('a client that hangs up has its queued texts dropped before they reach the model', async (ctx) => {
    const t = await build(ctx, { BATCH_MAX_ITEMS: '4', CACHE_MEMORY_BYTES: '0' });
    const { post, busy } = await busyOverHttp(t);
    const leaving = new AbortController();
    const abandoned = post(
      Array.from({ length: 20 }, (_, i) => `short text ${i}`),
      leaving.signal,
    );
    await received(t, 84);
    leaving.abort();
    await assert.rejects(abandoned);
    assert.equal((await busy).status, 200);
    // The abandoned texts never ran: dropped, and only the busy request's texts were computed.
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(await counter(t.metrics, 'sentiment_dropped_texts_total'), 20);
  });

  test('a text asked again just after its only client hung up is computed, not answered 499', async (ctx) => {
    const t = await build(ctx, { BATCH_MAX_ITEMS: '4', CACHE_MEMORY_BYTES: '0' });
    const { post, busy } = await busyOverHttp(t);
    const leaving = new AbortController();
    const first = post(['the text both clients send'], leaving.signal);
    await received(t, 65);
    leaving.abort();
    await assert.rejects(first);
    await until(
      async () =>
        (await counter(t.metrics, 'sentiment_texts_total')) >= 65 && t.engine.batcher.depth > 0,
      'the abandoned text still queued',
    );
    const second = await post(['the text both clients send']);
    assert.equal(second.status, 200, await second.clone().text());
    assert.equal((await busy).status, 200);
  });

  test('a full queue answers 429 at once with Retry-After and the detail shape', async (ctx) => {
    const t = await build(ctx, {
      BATCH_MAX_ITEMS: '4',
      QUEUE_MAX_ITEMS: '210',
      CACHE_MEMORY_BYTES: '0',
    });
    const first = t.app.inject({
      method: 'POST',
      url: '/predict',
      payload: { text: longTexts(200, 'first') },
    });
    await queued(t, 190);
    const refused = await t.app.inject({
      method: 'POST',
      url: '/predict',
      payload: { text: longTexts(20, 'second') },
    });
    assert.equal(refused.statusCode, 429);
    assert.equal(refused.headers['retry-after'], '1');
    const { detail } = refused.json<{
      detail: { type: string; loc: unknown[]; msg: string }[];
    }>();
    assert.equal(detail[0]?.type, 'overloaded');
    assert.equal((await first).statusCode, 200, 'the request already queued is served');
  });

  test('a request past REQUEST_TIMEOUT_MS gets 504 and its queued work is dropped', async (ctx) => {
    const t = await build(ctx, {
      BATCH_MAX_ITEMS: '2',
      REQUEST_TIMEOUT_MS: '30',
      CACHE_MEMORY_BYTES: '0',
    });
    const res = await t.app.inject({
      method: 'POST',
      url: '/predict',
      payload: { text: longTexts(100, 'slow') },
    });
    assert.equal(res.statusCode, 504);
    assert.equal(res.json<{ detail: { type: string }[] }>().detail[0]?.type, 'timeout');
    // The dropped texts are counted when the batcher next looks at its queue.
    await until(
      async () => (await counter(t.metrics, 'sentiment_dropped_texts_total')) > 50,
      'more than 50 texts dropped',
    );
    assert.ok(
      (await counter(t.metrics, 'sentiment_tokens_total')) < 50 * 512,
      'most texts never ran',
    );
  });
});
