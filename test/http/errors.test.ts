import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestApp, type TestApp } from '../helper.js';

type Detail = { detail: { loc: (string | number)[]; msg: string; type: string }[] };

describe('client mistakes get FastAPI-shaped errors, never a 500', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp({
      MAX_TEXTS_PER_REQUEST: '4',
      MAX_TEXT_CHARS: '50',
      BODY_LIMIT_BYTES: '2048',
    });
  });
  after(() => t.close());

  const post = (payload: string, contentType: string | undefined = 'application/json') =>
    t.app.inject({
      method: 'POST',
      url: '/predict',
      payload,
      headers: contentType ? { 'content-type': contentType } : {},
    });

  /** Posts `payload` and checks the status and the (loc, type) pairs of `detail`. */
  async function expectDetail(
    payload: string,
    status: number,
    expected: [(string | number)[], string][],
    contentType?: string,
  ): Promise<Detail> {
    const res = await post(payload, contentType);
    assert.equal(res.statusCode, status, res.body);
    const body = res.json<Detail>();
    assert.deepEqual(
      body.detail.map((d) => [d.loc, d.type]),
      expected,
    );
    for (const d of body.detail) assert.ok(d.msg.length > 0);
    return body;
  }

  const cases: [string, string, number, [(string | number)[], string][]][] = [
    ['missing text', '{}', 422, [[['body', 'text'], 'missing']]],
    // pydantic reports the missing field first, then the extra key
    [
      'misspelt key',
      '{"txt": ["a"]}',
      422,
      [
        [['body', 'text'], 'missing'],
        [['body', 'txt'], 'extra_forbidden'],
      ],
    ],
    [
      'miscased key',
      '{"Text": ["a"]}',
      422,
      [
        [['body', 'text'], 'missing'],
        [['body', 'Text'], 'extra_forbidden'],
      ],
    ],
    ['extra key', '{"text": ["a"], "lang": "en"}', 422, [[['body', 'lang'], 'extra_forbidden']]],
    ['text a string', '{"text": "I love you"}', 422, [[['body', 'text'], 'list_type']]],
    ['text a number', '{"text": 5}', 422, [[['body', 'text'], 'list_type']]],
    ['text null', '{"text": null}', 422, [[['body', 'text'], 'list_type']]],
    [
      'items not strings',
      '{"text": [1, "ok", null, ["nested"]]}',
      422,
      [
        [['body', 'text', 0], 'string_type'],
        [['body', 'text', 2], 'string_type'],
        [['body', 'text', 3], 'string_type'],
      ],
    ],
    ['body a list', '["I love you"]', 422, [[['body'], 'model_attributes_type']]],
    ['body a string', '"I love you"', 422, [[['body'], 'model_attributes_type']]],
    ['body null', 'null', 422, [[['body'], 'missing']]],
    ['no body at all', '', 422, [[['body'], 'missing']]],
    ['too many texts', '{"text": ["a","b","c","d","e"]}', 413, [[['body', 'text'], 'too_long']]],
    [
      'a text too long',
      JSON.stringify({ text: ['ok', 'x'.repeat(51)] }),
      413,
      [[['body', 'text', 1], 'string_too_long']],
    ],
  ];
  for (const [name, payload, status, expected] of cases) {
    test(`${name} → ${status}`, async () => {
      await expectDetail(payload, status, expected);
    });
  }

  test("malformed JSON → 422 json_invalid with a position and the parser's reason", async () => {
    const res = await post('{"text": ["a",]}');
    assert.equal(res.statusCode, 422);
    const [item] = res.json<Detail & { detail: { ctx: { error: string } }[] }>().detail;
    assert.equal(item?.type, 'json_invalid');
    assert.equal(item?.msg, 'JSON decode error');
    assert.equal(item?.loc[0], 'body');
    assert.equal(typeof item?.loc[1], 'number');
    assert.match(String((item as unknown as { ctx: { error: string } }).ctx.error), /JSON|token/i);
  });

  test('malformed JSON with no Content-Type → 422 json_invalid', async () => {
    await expectDetail('{"text": [', 422, [[['body', 10], 'json_invalid']], undefined);
  });

  test('a body over the byte limit → 413 in the detail shape', async () => {
    await expectDetail(JSON.stringify({ text: ['a'.repeat(3000)] }), 413, [
      [['body'], 'body_too_large'],
    ]);
  });

  test('a non-JSON media type → 415 naming the header', async () => {
    await expectDetail(
      'text=hello',
      415,
      [[['header', 'content-type'], 'unsupported_media_type']],
      'application/x-www-form-urlencoded',
    );
  });

  test('text/plain is read as JSON (fetch sends it for a string body)', async () => {
    const res = await post('{"text": ["fine"]}', 'text/plain;charset=UTF-8');
    assert.equal(res.statusCode, 200);
  });

  test('a limit error and a type error together → 422 with both', async () => {
    await expectDetail(JSON.stringify({ text: [1, 'x'.repeat(51)] }), 422, [
      [['body', 'text', 0], 'string_type'],
      [['body', 'text', 1], 'string_too_long'],
    ]);
  });

  test('unknown path → 404 {"detail":"Not Found"}', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/nope' });
    assert.equal(res.statusCode, 404);
    assert.deepEqual(res.json(), { detail: 'Not Found' });
  });

  for (const [method, url, allow] of [
    ['GET', '/predict', 'POST'],
    ['PUT', '/predict', 'POST'],
    ['POST', '/health', 'GET, HEAD'],
    ['DELETE', '/health?x=1', 'GET, HEAD'],
  ] as const) {
    test(`${method} ${url} → 405 with Allow: ${allow}`, async () => {
      const res = await t.app.inject({ method, url });
      assert.equal(res.statusCode, 405);
      assert.equal(res.headers.allow, allow);
      assert.deepEqual(res.json(), { detail: 'Method Not Allowed' });
    });
  }
});
