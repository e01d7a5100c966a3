import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Client, Pool } from 'undici';
import { READ_WHILE_SHEDDING_BYTES } from '../../src/http/early-refusal.js';
import { build, counter, until, type TestApp } from '../helper.js';

/** Long texts (the model reads 512 tokens of each), unique per `tag`: slow to drain. */
const longTexts = (n: number, tag: string) =>
  Array.from(
    { length: n },
    (_, i) => `${tag} ${i}: ` + 'a long review that goes on and on about the film '.repeat(60),
  );

/** Short unique texts: nothing cached, nothing coalesced. */
const uniqueTexts = (n: number, tag: string) =>
  Array.from({ length: n }, (_, i) => `${tag} text ${i} was a rather good film`);

const QUEUE = 200;

async function overloadable(ctx: Parameters<typeof build>[0], env: Record<string, string> = {}) {
  // One text a batch and no wait bound: the queue's room is exact, and it drains slowly.
  const t: TestApp = await build(ctx, {
    QUEUE_MAX_ITEMS: String(QUEUE),
    QUEUE_MAX_WAIT_MS: '0',
    BATCH_MAX_ITEMS: '1',
    CACHE_MEMORY_BYTES: '0',
    ...env,
  });
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = t.app.server.address() as { port: number };
  const pool = new Pool(`http://127.0.0.1:${port}`, { connections: 64 });
  ctx.after(() => pool.destroy());
  const post = async (body: string) => {
    const res = await pool.request({
      method: 'POST',
      path: '/predict',
      headers: { 'content-type': 'application/json' },
      body,
      headersTimeout: 60_000,
      bodyTimeout: 60_000,
    });
    return { status: res.statusCode, headers: res.headers, body: await res.body.text() };
  };
  const predict = (text: string[]) => post(JSON.stringify({ text }));
  const refusals = (stage: string) =>
    counter(t.metrics, 'sentiment_overload_refusals_total', { stage });
  return { t, pool, post, predict, refusals, origin: `http://127.0.0.1:${port}` };
}

describe('overload: refusals cost nothing and the service keeps serving', () => {
  test('a shedding queue refuses before the body is read: a malformed body gets 429, not 422', async (ctx) => {
    const { t, post, predict, refusals } = await overloadable(ctx);
    const first = predict(longTexts(QUEUE, 'first'));
    await until(() => t.engine.batcher.depth >= QUEUE - 10, 'the first request queued', 30_000);
    const refused = await predict(uniqueTexts(32, 'second'));
    assert.equal(refused.status, 429, refused.body);
    assert.equal(await refusals('after_parse'), 1, 'refused when it asked for room');
    const texts = await counter(t.metrics, 'sentiment_texts_total');
    // The queue now sheds until it is half empty: the next body is never parsed (one past
    // READ_WHILE_SHEDDING_BYTES; a smaller one would be read, see below).
    const unread = await post(
      `{"text": [${'"padding", '.repeat(READ_WHILE_SHEDDING_BYTES / 10)} this is not JSON`,
    );
    assert.equal(unread.status, 429, unread.body);
    assert.equal(JSON.parse(unread.body).detail[0].type, 'overloaded');
    assert.ok(Number(unread.headers['retry-after']) >= 1);
    assert.equal(await refusals('before_body'), 1);
    assert.equal(await counter(t.metrics, 'sentiment_texts_total'), texts, 'nothing parsed');
    assert.equal((await first).status, 200, 'the queued request is served');
  });

  test('while the queue sheds, a small body is still read: all cached → 200, not cached → 429 before tokenizing; a large one is refused unread', async (ctx) => {
    const { t, predict, refusals, origin } = await overloadable(ctx, {
      CACHE_MEMORY_BYTES: '1048576',
    });
    // Each on a connection of its own: one told to wait its Retry-After would be held.
    const fresh = async (text: string[]) => {
      const client = new Client(origin);
      try {
        const res = await client.request({
          method: 'POST',
          path: '/predict',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ text }),
        });
        return { status: res.statusCode, headers: res.headers, body: await res.body.text() };
      } finally {
        await client.close();
      }
    };
    const cached = 'sent before the burst, so cached';
    const answer = await predict([cached]);
    assert.equal(answer.status, 200);
    const first = predict(longTexts(QUEUE, 'first'));
    await until(() => t.engine.batcher.depth >= QUEUE - 10, 'the first request queued', 30_000);
    assert.equal((await predict(uniqueTexts(32, 'second'))).status, 429, 'now shedding');
    assert.ok(t.engine.classifier.refusal() !== undefined, 'the queue sheds');

    const hit = await fresh([cached, cached]);
    assert.equal(hit.status, 200, hit.body);
    const [prediction] = JSON.parse(answer.body).predictions;
    assert.deepEqual(JSON.parse(hit.body).predictions, [prediction, prediction]);
    const miss = await fresh([cached, 'not cached, sent while shedding']);
    assert.equal(miss.status, 429, miss.body);
    assert.equal(JSON.parse(miss.body).detail[0].type, 'overloaded');
    assert.ok(Number(miss.headers['retry-after']) >= 1);
    assert.equal(await refusals('after_parse'), 2, 'refused when its texts asked for room');
    assert.equal(await refusals('before_body'), 0);
    // Past the bound the body is not read, cached or not.
    const large = Array.from({ length: READ_WHILE_SHEDDING_BYTES / cached.length }, () => cached);
    const unread = await fresh(large);
    assert.equal(unread.status, 429, unread.body);
    assert.equal(await refusals('before_body'), 1);
    assert.ok(t.engine.classifier.refusal() !== undefined, 'still shedding throughout');
    assert.equal((await first).status, 200);
  });

  test('a burst far past capacity: 429 with Retry-After at once, /health answers, every accepted request is served, then it recovers', async (ctx) => {
    const { t, pool, predict, refusals } = await overloadable(ctx);
    const probes: number[] = [];
    let bursting = true;
    const prober = (async () => {
      while (bursting) {
        const res = await pool.request({ method: 'GET', path: '/health' });
        await res.body.text();
        probes.push(res.statusCode);
      }
    })();
    // 60 requests of 32 unique texts (1,920 texts) against room for 200, all at once.
    const answers = await Promise.all(
      Array.from({ length: 60 }, (_, i) => predict(uniqueTexts(32, `burst ${i}`))),
    );
    bursting = false;
    await prober;

    const accepted = answers.filter((a) => a.status === 200);
    const refused = answers.filter((a) => a.status === 429);
    assert.equal(accepted.length + refused.length, answers.length, 'only 200 and 429');
    assert.ok(refused.length > 0 && accepted.length > 0);
    for (const answer of refused) {
      assert.match(String(answer.headers['retry-after']), /^[1-9]\d*$/);
      assert.equal(JSON.parse(answer.body).detail[0].type, 'overloaded');
    }
    for (const answer of accepted) assert.equal(JSON.parse(answer.body).predictions.length, 32);
    assert.ok(probes.length > 0 && probes.every((status) => status === 200), String(probes));

    // Every refusal is counted at one stage; those refused before the body were never parsed
    // (texts_total counts parsed texts), and no refused text was ever tokenized.
    const early = await refusals('before_body');
    const late = await refusals('after_parse');
    assert.equal(early + late, refused.length);
    assert.ok(early > 0, 'some refused before their body was read');
    assert.equal(await counter(t.metrics, 'sentiment_texts_total'), (accepted.length + late) * 32);
    assert.equal(await counter(t.metrics, 'sentiment_computed_texts_total'), accepted.length * 32);

    // Recovery: the queue drains and a request afterwards is served.
    await until(() => t.engine.batcher.depth === 0, 'the queue empty', 30_000);
    const after = await predict(uniqueTexts(4, 'after'));
    assert.equal(after.status, 200, after.body);
    assert.equal(t.engine.batcher.depth, 0);
  });
});
