/**
 * What the contract (README, "API" and its error table) says `POST /predict` answers to a
 * body, computed here independently of src/http: the fuzz compares the service against it.
 */

/** The request limits the service under test runs with (src/config.ts). */
export interface PredictLimits {
  /** BODY_LIMIT_BYTES */
  readonly bodyLimitBytes: number;
  /** MAX_TEXTS_PER_REQUEST */
  readonly maxTexts: number;
  /** MAX_TEXT_CHARS (0: none) */
  readonly maxTextChars: number;
}

/** The answer a case must get, when the contract pins it down. */
export type Expectation =
  /** 200 with one list of scores per text. */
  | { readonly status: 200; readonly texts: number }
  /** A refusal with exactly these `type`s in its `detail` (`errors_truncated` aside). */
  | { readonly status: number; readonly types: readonly string[] }
  /** Any documented answer (a 200, a documented refusal); `mayClose`: or no answer at all. */
  | { readonly any: true; readonly mayClose?: boolean };

/** The contract's answer to a `POST /predict` whose body JSON-parses to `value`. */
export function expectForValue(value: unknown, limits: PredictLimits): Expectation {
  if (value === undefined || value === null) return { status: 422, types: ['missing'] };
  if (typeof value !== 'object' || Array.isArray(value)) {
    return { status: 422, types: ['model_attributes_type'] };
  }
  const fields = value as Record<string, unknown>;
  const types = new Set<string>();
  let extras = 0;
  for (const key of Object.keys(fields)) if (key !== 'text') extras++;
  if (extras > 0) types.add('extra_forbidden');
  const text = Object.hasOwn(fields, 'text') ? fields.text : undefined;
  if (!Object.hasOwn(fields, 'text')) types.add('missing');
  const oversized = Array.isArray(text) && text.length > limits.maxTexts;
  if (oversized) types.add('too_long');
  // A list past its limit, or more unknown keys than one answer lists (20), is refused before
  // its items are checked: "refused before any item is checked".
  const itemsChecked = !oversized && extras <= 20;
  if (itemsChecked && Object.hasOwn(fields, 'text')) {
    if (!Array.isArray(text)) types.add('list_type');
    else {
      for (const item of text) {
        if (typeof item !== 'string') types.add('string_type');
        else if (limits.maxTextChars > 0 && codePoints(item) > limits.maxTextChars) {
          types.add('string_too_long');
        }
      }
    }
  }
  if (types.size === 0) return { status: 200, texts: (text as unknown[]).length };
  const tooLarge = [...types].every((type) => type === 'too_long' || type === 'string_too_long');
  return { status: tooLarge ? 413 : 422, types: [...types].sort() };
}

/** Characters as the schema counts them: code points, a lone surrogate counting as one. */
function codePoints(text: string): number {
  return Array.from(text).length;
}

/**
 * The contract's answer to a body of these bytes read as JSON: the body limit first, then
 * UTF-8 as the service decodes it (invalid bytes become U+FFFD, a BOM is kept, so it is not
 * JSON), then the JSON itself.
 */
export function expectForBytes(body: Buffer, limits: PredictLimits): Expectation {
  if (body.length > limits.bodyLimitBytes) return { status: 413, types: ['body_too_large'] };
  if (body.length === 0) return { status: 422, types: ['missing'] };
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch {
    return { status: 422, types: ['json_invalid'] };
  }
  return expectForValue(value, limits);
}

/** How the service reads a body by its Content-Type: as JSON, or refused with 415. */
export type MediaKind = 'json' | 'refused';

/**
 * The README's rule: JSON (`application/json`, `application/*+json`), `text/plain`, no
 * Content-Type and an empty one are read as JSON; any other media type is refused. Media
 * types are case-insensitive (RFC 9110 §8.3.1) and parameters do not change the type.
 */
export function mediaKind(contentType: string | undefined): MediaKind {
  if (contentType === undefined || contentType.trim() === '') return 'json';
  const essence = (contentType.split(';')[0] ?? '').trim().toLowerCase();
  if (essence === 'application/json' || essence === 'text/plain') return 'json';
  return /^application\/[\w.-]+\+json$/.test(essence) ? 'json' : 'refused';
}

/** The answer to `body` sent with `contentType` (undefined: no header). */
export function expectFor(
  contentType: string | undefined,
  body: Buffer,
  limits: PredictLimits,
): Expectation {
  if (mediaKind(contentType) === 'refused') {
    // The media type is judged before the body is read, so even an oversized body gets 415.
    return body.length > limits.bodyLimitBytes
      ? { any: true }
      : { status: 415, types: ['unsupported_media_type'] };
  }
  return expectForBytes(body, limits);
}
