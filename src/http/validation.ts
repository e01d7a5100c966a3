import type { ErrorItem } from './schemas.js';

/** The parts of an Ajv error (verbose mode) the translation reads. */
export interface AjvError {
  instancePath: string;
  keyword: string;
  params: Record<string, unknown>;
  data?: unknown;
}

/** Errors past a configured size limit: answered 413 rather than 422. */
const LIMIT_KEYWORDS = new Set(['maxItems', 'maxLength']);

/** pydantic's type code and message for a value of the wrong JSON type, by the type expected. */
const TYPE_ERRORS: Readonly<Record<string, { type: string; msg: string }>> = {
  array: { type: 'list_type', msg: 'Input should be a valid list' },
  string: { type: 'string_type', msg: 'Input should be a valid string' },
};

/** JSON pointer → FastAPI `loc`: `/text/0` → ['body', 'text', 0]. */
function loc(pointer: string, ...extra: (string | number)[]): (string | number)[] {
  const parts = pointer === '' ? [] : pointer.slice(1).split('/');
  const path = parts.map((part) => {
    const key = part.replace(/~1/g, '/').replace(/~0/g, '~');
    return /^\d+$/.test(key) ? Number(key) : key;
  });
  return ['body', ...path, ...extra];
}

/** One Ajv error in pydantic v2's words (type codes and messages as pydantic-core's). */
function translate(error: AjvError): ErrorItem {
  const { instancePath, keyword, params, data } = error;
  switch (keyword) {
    case 'required':
      return {
        type: 'missing',
        loc: loc(instancePath, String(params.missingProperty)),
        msg: 'Field required',
        input: data,
      };
    case 'additionalProperties': {
      const key = String(params.additionalProperty);
      const input = (data as Record<string, unknown> | undefined)?.[key];
      return {
        type: 'extra_forbidden',
        loc: loc(instancePath, key),
        msg: 'Extra inputs are not permitted',
        input,
      };
    }
    case 'maxItems': {
      const count = Array.isArray(data) ? data.length : undefined;
      return {
        type: 'too_long',
        loc: loc(instancePath),
        msg: `List should have at most ${String(params.limit)} items after validation, not ${count}`,
        ctx: { field_type: 'List', max_length: params.limit, actual_length: count },
      };
    }
    case 'maxLength':
      return {
        type: 'string_too_long',
        loc: loc(instancePath),
        msg: `String should have at most ${String(params.limit)} characters`,
        ctx: { max_length: params.limit },
      };
    case 'type':
      if (instancePath === '') {
        if (data === null || data === undefined)
          return { type: 'missing', loc: ['body'], msg: 'Field required', input: null };
        return {
          type: 'model_attributes_type',
          loc: ['body'],
          msg: 'Input should be a valid dictionary or object to extract fields from',
          input: data,
        };
      }
      {
        const expected = TYPE_ERRORS[String(params.type)];
        if (expected) return { ...expected, loc: loc(instancePath), input: data };
      }
      break;
  }
  return {
    type: keyword,
    loc: loc(instancePath),
    msg: `Input is not valid (${keyword})`,
    input: data,
  };
}

/**
 * Ajv's errors for a request body → FastAPI's `detail` list and the status to answer with:
 * 413 when every error is a size limit, else 422 with all of them, as pydantic reports all.
 */
export function validationDetail(errors: readonly AjvError[]): {
  status: 413 | 422;
  detail: ErrorItem[];
} {
  const status = errors.every((error) => LIMIT_KEYWORDS.has(error.keyword)) ? 413 : 422;
  return { status, detail: errors.map(translate) };
}
