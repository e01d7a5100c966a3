import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestApp, type TestApp } from '../helper.js';

type Item = {
  loc: (string | number)[];
  msg: string;
  type: string;
  input?: unknown;
  ctx?: Record<string, unknown>;
};
type Detail = { detail: Item[] };

/** An answer is bounded by what the service accepts, not by what the client sent. */
describe('error answers cost no more than the request allows', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp({});
  });
  after(() => t.close());

  const post = (payload: string) =>
    t.app.inject({
      method: 'POST',
      url: '/predict',
      payload,
      headers: { 'content-type': 'application/json' },
    });

  test('two million numbers in text: 413 too_long at once, no item checked', async () => {
    const res = await post(JSON.stringify({ text: Array(1_900_000).fill(1) }));
    assert.equal(res.statusCode, 413);
    const { detail } = res.json<Detail>();
    assert.deepEqual(
      detail.map((d) => [d.loc, d.type]),
      [[['body', 'text'], 'too_long']],
    );
    assert.equal(detail[0]?.ctx?.actual_length, 1_900_000);
    assert.ok(res.body.length < 1024, `${res.body.length} bytes`);
  });

  test('300,000 unknown keys: the first 20 named, the rest counted, the echo cut', async () => {
    const body = '{' + Array.from({ length: 300_000 }, (_, i) => `"k${i}":1`).join(',') + '}';
    const res = await post(body);
    assert.equal(res.statusCode, 422);
    const { detail } = res.json<Detail>();
    assert.deepEqual(detail[0]?.loc, ['body', 'text']);
    assert.equal(detail[0]?.type, 'missing');
    const extra = detail.filter((d) => d.type === 'extra_forbidden');
    assert.equal(extra.length, 20);
    assert.deepEqual(extra[0]?.loc, ['body', 'k0']);
    const truncated = detail.find((d) => d.type === 'errors_truncated');
    assert.deepEqual(truncated?.ctx, { error_type: 'extra_forbidden', omitted: 299_980 });
    assert.ok(res.body.length < 8 * 1024, `${res.body.length} bytes`);
  });

  test('256 texts that are not strings: 20 string_type items and a count of the rest', async () => {
    const res = await post(JSON.stringify({ text: Array(256).fill(7) }));
    assert.equal(res.statusCode, 422);
    const { detail } = res.json<Detail>();
    assert.equal(detail.filter((d) => d.type === 'string_type').length, 20);
    assert.deepEqual(detail.at(-1)?.ctx, { error_type: 'string_type', omitted: 236 });
  });

  test('JSON nested 5,000 deep, in text or as the body: 422 in the documented shape, not 500', async () => {
    const deep = '['.repeat(5000) + ']'.repeat(5000);
    for (const [payload, type] of [
      [`{"text":[${deep}]}`, 'string_type'],
      [`{"text":${deep}}`, 'string_type'],
      [deep, 'model_attributes_type'],
      [`{"text":["ok"],"x":${deep}}`, 'extra_forbidden'],
    ] as const) {
      const res = await post(payload);
      assert.equal(res.statusCode, 422, res.body.slice(0, 200));
      assert.equal(res.json<Detail>().detail[0]?.type, type);
      assert.ok(res.body.length < 1024);
    }
  });

  test('a long string is echoed by its start and its length', async () => {
    const res = await post(JSON.stringify({ text: ['ok'], note: 'x'.repeat(100_000) }));
    assert.equal(res.statusCode, 422);
    const input = res.json<Detail>().detail[0]?.input as string;
    assert.match(input, /^x{120}… \(99880 more characters\)$/);
  });

  test('a __proto__ key is echoed as a key, and pollutes nothing', async () => {
    const res = await post('{"text":["a"],"__proto__":{"polluted":true}}');
    assert.equal(res.statusCode, 422);
    assert.deepEqual(res.json<Detail>().detail[0]?.loc, ['body', '__proto__']);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });
});
