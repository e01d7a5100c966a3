/**
 * Bodies of JSON, or nearly JSON, sent as `application/json`: arbitrary values, shapes near
 * the schema, every kind of character, deep nesting, and sizes on both sides of the limit.
 */
import fc from 'fast-check';
import { postCase, type FuzzCase } from './fuzz-case.js';
import type { PredictLimits } from './predict-oracle.js';

/** Texts that recur (cache hits once computed), among generated ones that mostly do not. */
const COMMON_TEXTS = ['I love you.', 'I hate you.', 'ok', '', ' ', 'What a lovely film', '😀'];

/** A short text: mostly repeated ones, some of any script, so valid bodies stay cheap. */
export const shortText = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...COMMON_TEXTS) },
  { weight: 1, arbitrary: fc.string({ maxLength: 12, unit: 'grapheme' }) },
);

/** Keys near `text`, and keys that mean something to JavaScript objects. */
const nearKeys = fc.oneof(
  fc.constantFrom('text', 'text', 'Text', 'TEXT', 'texts', 'text ', ' text', 'tExt', 'téxt'),
  fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', ''),
  fc.constantFrom('t\u0000ext', 'text\u200b', '\u0074ext', 'ｔｅｘｔ', 'predictions', 'detail'),
  fc.string({ maxLength: 8 }),
);

const anyItem = fc.oneof(
  { weight: 6, arbitrary: shortText },
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(shortText, { maxLength: 2 }),
  fc.dictionary(fc.string({ maxLength: 4 }), shortText, { maxKeys: 2 }),
);

/** The value of a `text` key: mostly a list, of mostly strings. */
const textValue = fc.oneof(
  { weight: 8, arbitrary: fc.array(anyItem, { maxLength: 6 }) },
  fc.string({ maxLength: 8 }),
  fc.integer(),
  fc.constant(null),
  fc.boolean(),
  fc.dictionary(fc.string({ maxLength: 4 }), shortText, { maxKeys: 2 }),
);

/** `key` with every UTF-16 unit written as a `\\uXXXX` escape (`"\\u0074ext"` is `text`). */
const escaped = (key: string) =>
  `"${[...Array(key.length).keys()].map((i) => `\\u${key.charCodeAt(i).toString(16).padStart(4, '0')}`).join('')}"`;

/** An object written out key by key, so keys may repeat (JSON.parse keeps the last). */
function objectText(
  entries: readonly (readonly [string, unknown])[],
  spaced: boolean,
  escapeKeys: boolean,
): string {
  const gap = spaced ? ' \n\t' : '';
  const key = escapeKeys ? escaped : (k: string) => JSON.stringify(k);
  const fields = entries.map(([k, v]) => `${key(k)}${gap}:${gap}${JSON.stringify(v)}`);
  return `${gap}{${gap}${fields.join(`,${gap}`)}${gap}}${gap}`;
}

/** fc.jsonValue, and the same serialized with the body's whitespace varied. */
export const jsonValues = (limits: PredictLimits): fc.Arbitrary<FuzzCase> =>
  fc
    .tuple(fc.jsonValue({ maxDepth: 4 }), fc.boolean())
    .map(([value, pretty]) => postCase(JSON.stringify(value, null, pretty ? 2 : 0), limits));

/** `{"text": [...]}` with wrong item types, extra, missing, miscased and repeated keys. */
export const nearSchema = (limits: PredictLimits): fc.Arbitrary<FuzzCase> =>
  fc
    .tuple(
      fc.array(fc.tuple(nearKeys, fc.oneof(textValue, fc.jsonValue({ maxDepth: 2 }))), {
        maxLength: 4,
      }),
      fc.option(textValue, { nil: undefined }),
      fc.nat(),
      fc.boolean(),
      fc.boolean(),
    )
    .map(([entries, text, at, spaced, escapeKeys]) => {
      const all: [string, unknown][] = [...entries];
      if (text !== undefined) all.splice(at % (all.length + 1), 0, ['text', text]);
      return postCase(objectText(all, spaced, escapeKeys), limits);
    });

/** A lone half of a surrogate pair. */
const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((u) => String.fromCharCode(u));
const control = fc.integer({ min: 0, max: 0x1f }).map((u) => String.fromCharCode(u));
const SPECIALS = ['\u0000', '\u007f', '\u00a0', '\u200b', '\u200d', '\u202e', '\ufeff', '\uffff'];
const EMOJI = ['👍🏽', '👨‍👩‍👧‍👦', '🇫🇷', '❤️', '🏳️‍🌈', 'e\u0301', '\u0928\u093f', '𝔘𝔫𝔦'];

/** Text with characters of every plane and script, controls, NULs and lone surrogates. */
const wildText = fc
  .array(
    fc.oneof(
      fc.string({ maxLength: 6, unit: 'grapheme' }),
      fc.string({ maxLength: 6, unit: 'binary' }),
      loneSurrogate,
      control,
      fc.constantFrom(...SPECIALS, ...EMOJI),
    ),
    { maxLength: 5 },
  )
  .map((parts) => parts.join(''));

/** How a string is written into the body. */
const ENCODINGS = ['json', 'escape-all', 'raw-controls', 'raw-surrogates'] as const;
type Encoding = (typeof ENCODINGS)[number];

/** `text` as a JSON string literal's bytes, in one of the ways a client might write it. */
function encodeString(text: string, how: Encoding): Buffer {
  if (how === 'json') return Buffer.from(JSON.stringify(text));
  if (how === 'escape-all') {
    const units = [...Array(text.length).keys()].map((i) => text.charCodeAt(i));
    return Buffer.from(`"${units.map((u) => `\\u${u.toString(16).padStart(4, '0')}`).join('')}"`);
  }
  if (how === 'raw-controls') {
    // Control characters unescaped, which JSON forbids: the answer must be json_invalid.
    const body = JSON.stringify(text).replace(/\\u00([01][0-9a-f])/g, (_, hex: string) =>
      String.fromCharCode(parseInt(hex, 16)),
    );
    return Buffer.from(body);
  }
  // Lone surrogates as the three bytes CESU-8 would write: invalid UTF-8 the server must read.
  const pieces: Buffer[] = [];
  for (const char of JSON.stringify(text).replace(/\\ud[89a-f][0-9a-f]{2}/g, (m) =>
    String.fromCharCode(parseInt(m.slice(2), 16)),
  )) {
    const unit = char.charCodeAt(0);
    if (char.length === 1 && unit >= 0xd800 && unit <= 0xdfff) {
      pieces.push(
        Buffer.from([0xe0 | (unit >> 12), 0x80 | ((unit >> 6) & 0x3f), 0x80 | (unit & 0x3f)]),
      );
    } else pieces.push(Buffer.from(char));
  }
  return Buffer.concat(pieces);
}

/** Valid-looking bodies whose texts hold any character, written in any of four ways. */
export const unicodeTexts = (limits: PredictLimits): fc.Arbitrary<FuzzCase> =>
  fc
    .array(fc.tuple(wildText, fc.constantFrom(...ENCODINGS)), { minLength: 1, maxLength: 4 })
    .map((texts) => {
      const items = texts.map(([text, how]) => encodeString(text, how));
      const list = items.flatMap((item, i) => (i === 0 ? [item] : [Buffer.from(','), item]));
      return postCase(
        Buffer.concat([Buffer.from('{"text":['), ...list, Buffer.from(']}')]),
        limits,
      );
    });

/** Nesting of lists and objects, balanced or not, a few to 200,000 levels deep, anywhere. */
export const deepNesting = (limits: PredictLimits): fc.Arbitrary<FuzzCase> =>
  fc
    .tuple(
      fc.oneof(fc.integer({ min: 1, max: 64 }), fc.integer({ min: 1_000, max: 200_000 })),
      fc.constantFrom('[', '{"a":', '[{"text":'),
      fc.constantFrom('top', 'text', 'item', 'extra'),
      fc.boolean(),
    )
    .map(([depth, open, where, balanced]) => {
      const close = open === '[' ? ']' : open === '{"a":' ? '}' : '}]';
      const core = `${open.repeat(depth)}${open === '[' ? '' : '1'}${balanced ? close.repeat(depth) : ''}`;
      const body = {
        top: core,
        text: `{"text":${core}}`,
        item: `{"text":["ok",${core}]}`,
        extra: `{"text":["ok"],"x":${core}}`,
      }[where];
      return postCase(body as string, limits);
    });

/** Long lists, long strings and many keys: within the body limit, at it, and past it. */
export const hugeBodies = (limits: PredictLimits): fc.Arbitrary<FuzzCase> => {
  const { bodyLimitBytes: limit, maxTexts } = limits;
  const listLength = fc.oneof(
    fc.constantFrom(maxTexts - 1, maxTexts, maxTexts + 1),
    fc.integer({ min: 0, max: 2 * maxTexts }),
    fc.integer({ min: 1_000, max: Math.floor(limit / 2) }),
  );
  const longList = fc
    .tuple(listLength, fc.constantFrom('1', '"a"', '""', 'null', '[]', '"I love you."', '{}'))
    .map(([n, item]) => `{"text":[${Array(n).fill(item).join(',')}]}`);
  // A body of exactly limit + delta bytes: one long text, just within the limit or just past.
  const atLimit = fc
    .tuple(fc.integer({ min: -3, max: 3 }), fc.constantFrom('a', 'ab ', 'é', '😀', '\\n'))
    .map(([delta, unit]) => {
      const target = limit + delta;
      const room = target - '{"text":[""]}'.length;
      const fill = unit.repeat(Math.ceil(room / Buffer.byteLength(unit)));
      let text = fill;
      while (Buffer.byteLength(text) > room) text = text.slice(0, -1);
      const body = `{"text":["${text}"]}`;
      return body + ' '.repeat(target - Buffer.byteLength(body));
    });
  const manyKeys = fc
    .integer({ min: 1, max: Math.floor(limit / 8) })
    .map((n) => `{"text":[],${[...Array(n).keys()].map((i) => `"k${i}":${i}`).join(',')}}`);
  const padded = fc
    .integer({ min: 0, max: limit + 16 })
    .map((n) => `${' '.repeat(n)}{"text":["ok"]}`);
  return fc
    .tuple(fc.oneof(longList, atLimit, manyKeys, padded), fc.boolean())
    .map(([body, chunked]) => postCase(body, limits, 'application/json', chunked));
};
