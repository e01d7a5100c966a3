/**
 * The fuzz's judge (devkit/fuzz/predict-contract.ts, predict-oracle.ts) must itself fail on
 * what it is there to catch, or a fuzz run that passes proves nothing.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Answer } from '../../devkit/fuzz/http-exchange.js';
import { parseAnswer } from '../../devkit/fuzz/http-exchange.js';
import { checkAnswer, ContractViolation } from '../../devkit/fuzz/predict-contract.js';
import { expectForBytes, mediaKind, type Expectation } from '../../devkit/fuzz/predict-oracle.js';

const LABELS = ['NEGATIVE', 'POSITIVE'];
const LIMITS = { bodyLimitBytes: 64, maxTexts: 2, maxTextChars: 5 };
const json = (status: number, body: unknown): Answer => ({
  kind: 'answer',
  status,
  headers: { 'content-type': 'application/json; charset=utf-8' },
  body: Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)),
});
const refusal = (type: string, status = 422) =>
  json(status, { detail: [{ type, loc: ['body'], msg: 'x' }] });
const scores = (a: number, b: number) => [
  { label: 'NEGATIVE', score: a },
  { label: 'POSITIVE', score: b },
];
const ANY: Expectation = { any: true };
const SENT = Buffer.from('{"text":["hi"]}');

describe('the fuzz contract', () => {
  test('passes documented answers', () => {
    checkAnswer(refusal('string_type'), { status: 422, types: ['string_type'] }, SENT, LABELS);
    checkAnswer(
      json(200, { predictions: [scores(0.25, 0.75)] }),
      { status: 200, texts: 1 },
      SENT,
      LABELS,
    );
    checkAnswer(json(404, { detail: 'Not Found' }), ANY, SENT, LABELS);
  });

  const broken: [string, Answer, Expectation][] = [
    ['a 5xx', refusal('internal_error', 500), ANY],
    [
      'a stack frame',
      json(422, { detail: [{ type: 'missing', loc: [], msg: 'x\n    at f (/srv/a.js:1:1)' }] }),
      ANY,
    ],
    [
      'a path of the server',
      json(400, { detail: [{ type: 'bad_request', loc: [], msg: '/work/main/src' }] }),
      ANY,
    ],
    ['a type not in the catalogue', refusal('no_such_code'), ANY],
    ['a status the type does not carry', refusal('missing', 413), ANY],
    ['a detail that is not a list', json(422, { detail: 'nope' }), ANY],
    ['loc not a list', json(422, { detail: [{ type: 'missing', loc: 'body', msg: 'x' }] }), ANY],
    ['a body that is not JSON', json(400, 'Bad Request'), ANY],
    ['scores not summing to 1', json(200, { predictions: [scores(0.5, 0.6)] }), ANY],
    ['labels out of order', json(200, { predictions: [scores(0.5, 0.5).reverse()] }), ANY],
    ['one prediction too few', json(200, { predictions: [] }), { status: 200, texts: 1 }],
    ['another type than the contract', refusal('missing'), { status: 422, types: ['string_type'] }],
    ['no answer at all', { kind: 'closed', received: Buffer.alloc(0) }, ANY],
  ];
  for (const [what, answer, expected] of broken) {
    test(`fails ${what}`, () => {
      assert.throws(() => checkAnswer(answer, expected, SENT, LABELS), ContractViolation);
    });
  }

  test('a marker the client sent may be echoed back', () => {
    const sent = Buffer.from('{"text":[1],"/work/":1}');
    const echo = json(422, {
      detail: [{ type: 'extra_forbidden', loc: ['body', '/work/'], msg: 'x' }],
    });
    checkAnswer(echo, ANY, sent, LABELS);
  });
});

describe('the fuzz oracle', () => {
  const cases: [string, Expectation][] = [
    ['{"text":["hi"]}', { status: 200, texts: 1 }],
    ['{"text":["hi"],"Text":1}', { status: 422, types: ['extra_forbidden'] }],
    ['{"Text":["hi"]}', { status: 422, types: ['extra_forbidden', 'missing'] }],
    ['{"text":[1,null]}', { status: 422, types: ['string_type'] }],
    ['{"text":["a","b","c"]}', { status: 413, types: ['too_long'] }],
    ['{"text":["a",1,2]}', { status: 413, types: ['too_long'] }],
    [
      '{"text":["\ud83d\ude00\ud83d\ude00\ud83d\ude00\ud83d\ude00\ud83d\ude00"]}',
      { status: 200, texts: 1 },
    ],
    ['{"text":["abcdef"]}', { status: 413, types: ['string_too_long'] }],
    ['{"text":"a"}', { status: 422, types: ['list_type'] }],
    ['[]', { status: 422, types: ['model_attributes_type'] }],
    ['null', { status: 422, types: ['missing'] }],
    ['', { status: 422, types: ['missing'] }],
    ['\ufeff{"text":[]}', { status: 422, types: ['json_invalid'] }],
    [`{"text":["${'a'.repeat(60)}"]}`, { status: 413, types: ['body_too_large'] }],
  ];
  for (const [body, expected] of cases) {
    test(`${JSON.stringify(body).slice(0, 40)} → ${JSON.stringify(expected)}`, () => {
      assert.deepEqual(expectForBytes(Buffer.from(body), LIMITS), expected);
    });
  }

  test('media types: JSON, text/plain, none and empty read as JSON; others refused', () => {
    for (const type of [
      undefined,
      '',
      ' ',
      'Application/JSON; charset=x',
      'text/plain',
      'application/a+json',
    ]) {
      assert.equal(mediaKind(type), 'json', String(type));
    }
    for (const type of [
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'text/html',
    ]) {
      assert.equal(mediaKind(type), 'refused', type);
    }
  });

  test('raw answers: 100 Continue skipped, a body cut short refused', () => {
    const answer = parseAnswer(
      Buffer.from('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}'),
    );
    assert.equal(answer.kind === 'answer' && answer.status, 200);
    assert.throws(() => parseAnswer(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n{}')));
    const chunked = parseAnswer(
      Buffer.from(
        'HTTP/1.1 400 Bad Request\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n',
      ),
    );
    assert.equal(chunked.kind === 'answer' && chunked.body.toString(), '{}');
  });
});
