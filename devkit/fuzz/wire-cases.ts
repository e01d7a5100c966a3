/**
 * Cases about the wire rather than the JSON: Content-Type headers, arbitrary and corrupted
 * bytes, framing only a raw socket can send (chunked, truncated, `Expect`, bad headers), and
 * other methods and paths.
 */
import fc from 'fast-check';
import type { RawFinish } from './http-exchange.js';
import { postCase, type FuzzCase } from './fuzz-case.js';
import { expectFor, type Expectation, type PredictLimits } from './predict-oracle.js';

const VALID = '{"text":["I love you.","ok"]}';
const BODIES = [
  VALID,
  '{"text":[]}',
  '{"text":[1]}',
  '{"text":',
  '',
  'text=hi',
  '--x\r\n\r\n--x--',
];

const CONTENT_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'application/json;charset=UTF-8',
  'application/json; charset="utf-8"',
  'application/json; charset=utf-16',
  'application/json; charset=latin1',
  'application/json; charset=utf-8; boundary=x',
  'APPLICATION/JSON',
  'Application/Json; Charset=UTF-8',
  'text/plain',
  'text/plain;charset=UTF-8',
  'TEXT/PLAIN',
  'application/vnd.api+json',
  'application/problem+json',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'multipart/form-data',
  'text/html',
  'application/xml',
  'application/octet-stream',
  'application/jsonx',
  'application/json-patch',
  'text/json',
  '*/*',
  'application/*',
  'json',
  '',
  ' ',
];

/** Header values undici will send: visible ASCII and spaces, no leading or trailing space. */
const headerText = fc
  .string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((u) => String.fromCharCode(u)) })
  .map((s) => s.trim());

/** A valid-looking body with every kind of Content-Type, absent and empty included. */
export const contentTypes = (limits: PredictLimits): fc.Arbitrary<FuzzCase> =>
  fc
    .tuple(
      fc.constantFrom(...BODIES),
      fc.oneof(
        { weight: 4, arbitrary: fc.constantFrom<string | undefined>(...CONTENT_TYPES, undefined) },
        fc.stringMatching(/^[a-zA-Z]{1,12}\/[a-zA-Z0-9+.-]{1,14}(; ?[a-z]{1,7}=[\w-]{0,8})?$/),
        headerText,
      ),
    )
    .map(([body, type]) => postCase(body, limits, type));

/** A valid body with bytes flipped, inserted or removed: invalid UTF-8, overlong forms, NULs. */
const NASTY = [
  [0x00],
  [0xff],
  [0xc0, 0x80],
  [0xed, 0xa0, 0x80],
  [0xf4, 0x90, 0x80, 0x80],
  [0xe2, 0x82],
  [0xef, 0xbb, 0xbf],
  [0x80],
];
export const corruptBytes = (limits: PredictLimits): fc.Arbitrary<FuzzCase> =>
  fc
    .oneof(
      fc.uint8Array({ maxLength: 256 }).map((bytes) => Buffer.from(bytes)),
      fc
        .tuple(
          fc.constantFrom(VALID, '{"text":["héllo wörld 😀"]}', '{"text":["a","b"],"x":1}'),
          fc.array(
            fc.tuple(
              fc.nat(),
              fc.oneof(
                fc.constantFrom(...NASTY),
                fc.uint8Array({ minLength: 1, maxLength: 3 }).map((b) => [...b]),
              ),
              fc.constantFrom('insert', 'replace', 'delete'),
            ),
            { minLength: 1, maxLength: 4 },
          ),
        )
        .map(([base, edits]) => {
          const bytes = [...Buffer.from(base)];
          for (const [at, piece, how] of edits) {
            const i = at % (bytes.length + 1);
            if (how === 'insert') bytes.splice(i, 0, ...piece);
            else
              bytes.splice(
                i,
                how === 'delete' ? 1 : piece.length,
                ...(how === 'delete' ? [] : piece),
              );
          }
          return Buffer.from(bytes);
        }),
    )
    .map((body) => postCase(body, limits));

/** A raw request on a connection of its own (`Connection: close`, so the server ends it). */
function rawCase(
  bytes: Buffer,
  expected: Expectation,
  finish: RawFinish = 'wait',
  pauseAt?: number,
): FuzzCase {
  return {
    delivery: { via: 'raw', bytes, finish, ...(pauseAt === undefined ? {} : { pauseAt }) },
    expected,
  };
}

const head = (lines: readonly string[]) =>
  `POST /predict HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n${lines.map((l) => `${l}\r\n`).join('')}\r\n`;

/** `body` in chunks cut at `cuts`, sizes in either case of hex, some with extensions. */
function chunked(body: Buffer, cuts: readonly number[], upper: boolean, ext: boolean): Buffer {
  const points = [...new Set(cuts.map((c) => c % (body.length + 1)))].sort((a, b) => a - b);
  const pieces: Buffer[] = [];
  let from = 0;
  for (const to of [...points, body.length]) {
    if (to <= from) continue;
    const size = (to - from).toString(16);
    pieces.push(Buffer.from(`${upper ? size.toUpperCase() : size}${ext ? ';x=y' : ''}\r\n`));
    pieces.push(body.subarray(from, to), Buffer.from('\r\n'));
    from = to;
  }
  return Buffer.concat([...pieces, Buffer.from('0\r\n\r\n')]);
}

/** What only a raw socket sends: chunked, truncated, `Expect`, odd and conflicting headers. */
export const framing = (limits: PredictLimits): fc.Arbitrary<FuzzCase> => {
  const body = fc.constantFrom(...BODIES.slice(0, 4)).map((b) => Buffer.from(b));
  const json = 'Content-Type: application/json';
  const validChunked = fc
    .tuple(body, fc.array(fc.nat(), { maxLength: 6 }), fc.boolean(), fc.boolean(), fc.boolean())
    .map(([b, cuts, upper, ext, expect]) => {
      const lines = [
        json,
        'Transfer-Encoding: chunked',
        ...(expect ? ['Expect: 100-continue'] : []),
      ];
      const bytes = Buffer.concat([Buffer.from(head(lines)), chunked(b, cuts, upper, ext)]);
      return rawCase(bytes, expectFor('application/json', b, limits));
    });
  const expectContinue = fc.tuple(body, fc.boolean()).map(([b, pause]) => {
    const h = Buffer.from(head([json, `Content-Length: ${b.length}`, 'Expect: 100-continue']));
    return rawCase(
      Buffer.concat([h, b]),
      expectFor('application/json', b, limits),
      'wait',
      pause ? h.length : undefined,
    );
  });
  // Fewer bytes than Content-Length, then a FIN or a reset: a 400 or no answer, never a hang.
  const truncated = fc
    .tuple(
      body,
      fc.integer({ min: 1, max: 10_000 }),
      fc.constantFrom<RawFinish>('end', 'destroy'),
      fc.boolean(),
    )
    .map(([b, missing, finish, chunk]) => {
      const lines = chunk
        ? [json, 'Transfer-Encoding: chunked']
        : [json, `Content-Length: ${b.length + missing}`];
      const sent = chunk ? Buffer.from(`${(b.length + missing).toString(16)}\r\n${b}`) : b;
      return rawCase(
        Buffer.concat([Buffer.from(head(lines)), sent]),
        { any: true, mayClose: true },
        finish,
      );
    });
  // More bytes than Content-Length: the rest reads as a second request, and Node answers
  // that garbage with 400 (client-errors.ts) before the first answer is written, or the first.
  const overlong = fc.tuple(body, fc.nat()).map(([b, n]) => {
    const length = n % (b.length + 1);
    const bytes = Buffer.concat([Buffer.from(head([json, `Content-Length: ${length}`])), b]);
    return rawCase(bytes, { any: true });
  });
  const badHeaders = fc
    .tuple(
      body,
      fc.constantFrom(
        ['Content-Length: 5', 'Content-Length: 6'],
        ['Content-Length: 2', 'Transfer-Encoding: chunked'],
        ['Transfer-Encoding: gzip'],
        ['Transfer-Encoding: chunked, chunked'],
        ['Content-Length: -1'],
        ['Content-Length: 1e3'],
        ['Content-Type: application/json\u0000'],
        ['Content-Type: application/json\u0001x'],
        ['Content-Type: application/jsön'],
        ['Content-Type: application/json', 'Content-Type: text/html'],
        ['Content-Type:\tapplication/json\t'],
        ['Content-Type:', ' application/json'],
        ['X-\u0000: y'],
        ['Expect: 100-continue', 'Expect: 100-continue'],
      ),
      fc.constantFrom<RawFinish>('wait', 'end'),
    )
    .map(([b, lines, finish]) => {
      const withLength = lines.some((l) => /^(content-length|transfer-encoding)/i.test(l))
        ? lines
        : [...lines, `Content-Length: ${b.length}`];
      const bytes = Buffer.concat([Buffer.from(head(withLength), 'latin1'), b]);
      return rawCase(bytes, { any: true, mayClose: finish === 'end' }, finish);
    });
  // Request forms Node reads as ordinary: HTTP/1.0, an absolute URL, trailers, an Upgrade.
  const forms = fc
    .tuple(body, fc.constantFrom('1.0', 'absolute', 'trailer', 'upgrade', 'encoding', 'lf'))
    .map(([b, form]) => {
      const length = `Content-Length: ${b.length}`;
      const expected = expectFor('application/json', b, limits);
      const h = {
        '1.0': `POST /predict HTTP/1.0\r\n${json}\r\n${length}\r\n\r\n`,
        absolute: `POST http://127.0.0.1/predict HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n${json}\r\n${length}\r\n\r\n`,
        upgrade: head([json, length, 'Upgrade: websocket']).replace('close', 'Upgrade, close'),
        encoding: head([json, length, 'Content-Encoding: gzip']),
        lf: head([json, length]).replace(/\r\n/g, '\n'),
        trailer: head([json, 'Transfer-Encoding: chunked']),
      }[form];
      const rest =
        form === 'trailer' ? `${b.length.toString(16)}\r\n${b}\r\n0\r\nX-T: 1\r\n\r\n` : b;
      // A coding the service does not decode is read as it is: not pinned by the contract.
      const answer: Expectation =
        form === 'lf'
          ? { status: 400, types: ['bad_request'] }
          : form === 'encoding'
            ? { any: true }
            : expected;
      return rawCase(Buffer.from(h + rest), answer);
    });
  return fc.oneof(validChunked, expectContinue, truncated, overlong, badHeaders, forms);
};

/** Other methods and paths next to `POST /predict`: 405 with Allow, 404, or the route itself. */
export const methodsAndPaths = (limits: PredictLimits): fc.Arbitrary<FuzzCase> =>
  fc
    .tuple(
      fc.constantFrom('POST', 'GET', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'),
      fc.constantFrom(
        '/predict',
        '/predict?x=1',
        '/predict?',
        '/predict/',
        '/PREDICT',
        '/predictx',
        '/predict/1',
        '//predict',
        '/%70redict',
        '/predict%00',
        '/predict;a',
      ),
    )
    .map(([method, path]): FuzzCase => {
      const route = path === '/predict' || path.startsWith('/predict?');
      const body = Buffer.from(VALID);
      let expected: Expectation = { any: true };
      if (route)
        expected =
          method === 'POST'
            ? expectFor('application/json', body, limits)
            : { status: 405, types: [] };
      return {
        delivery: {
          via: 'http',
          request: {
            method: method as 'POST',
            path,
            headers: { 'content-type': 'application/json' },
            body,
          },
        },
        expected,
      };
    });
