import { ERROR_CATALOGUE, type ErrorCode } from '../errors.js';
import { boundedEcho } from './bounded-echo.js';
import type { ErrorItem } from './schemas.js';

/** The parts of an Ajv error (verbose mode) the translation reads. */
export interface AjvError {
  instancePath: string;
  keyword: string;
  params: Record<string, unknown>;
  data?: unknown;
  /** The keyword's value in the schema (verbose mode): `oneOf`'s alternatives, read for names. */
  schema?: unknown;
}

/** Where the failing value was: the body, or the query string (FastAPI's `query`). */
export type ValidationPart = 'body' | 'query';

/** pydantic's type code for a value of the wrong JSON type, by the type expected. */
const TYPE_ERRORS: Readonly<Record<string, ErrorCode>> = {
  array: 'list_type',
  string: 'string_type',
  integer: 'int_type',
};

/** pydantic's way of listing what a Literal allows: `'A', 'B' or 'C'`. */
function allowed(values: unknown): string {
  const quoted = (Array.isArray(values) ? values : []).map((value) => `'${String(value)}'`);
  return quoted.length <= 1
    ? (quoted[0] ?? '')
    : `${quoted.slice(0, -1).join(', ')} or ${quoted.at(-1) as string}`;
}

/** The properties each `oneOf` alternative requires: the fields of which one must be given. */
function alternatives(schema: unknown): string[] {
  if (!Array.isArray(schema)) return [];
  return schema.flatMap((option: { required?: unknown }) =>
    Array.isArray(option.required) ? option.required.map(String) : [],
  );
}

/** At most this many items of one type in a `detail`; the rest are counted in one more item. */
export const MAX_ERRORS_PER_TYPE = 20;

/** An item of `detail` whose message is the catalogue's for its code; the input echo bounded. */
function item(type: ErrorCode, at: (string | number)[], input: unknown): ErrorItem {
  return { type, loc: at, msg: ERROR_CATALOGUE[type].message, input: boundedEcho(input) };
}

/** JSON pointer → FastAPI `loc`: `/text/0` → ['body', 'text', 0] (or ['query', …]). */
function locIn(
  part: ValidationPart,
  pointer: string,
  ...extra: (string | number)[]
): (string | number)[] {
  const parts = pointer === '' ? [] : pointer.slice(1).split('/');
  const path = parts.map((segment) => {
    const key = segment.replace(/~1/g, '/').replace(/~0/g, '~');
    return /^\d+$/.test(key) ? Number(key) : key;
  });
  return [part, ...path, ...extra];
}

/** One Ajv error in pydantic v2's words (type codes and messages as pydantic-core's). */
function translate(error: AjvError, part: ValidationPart): ErrorItem {
  const { instancePath, keyword, params, data } = error;
  const loc = (pointer: string, ...extra: (string | number)[]) => locIn(part, pointer, ...extra);
  switch (keyword) {
    case 'required':
      return item('missing', loc(instancePath, String(params.missingProperty)), data);
    case 'additionalProperties': {
      const key = String(params.additionalProperty);
      const input = (data as Record<string, unknown> | undefined)?.[key];
      return item('extra_forbidden', loc(instancePath, key), input);
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
    case 'enum': {
      const expected = allowed(params.allowedValues);
      return {
        ...item('literal_error', loc(instancePath), data),
        msg: `Input should be ${expected}`,
        ctx: { expected },
      };
    }
    case 'minimum':
      return {
        ...item('greater_than_equal', loc(instancePath), data),
        msg: `Input should be greater than or equal to ${String(params.limit)}`,
        ctx: { ge: params.limit },
      };
    case 'maximum':
      return {
        ...item('less_than_equal', loc(instancePath), data),
        msg: `Input should be less than or equal to ${String(params.limit)}`,
        ctx: { le: params.limit },
      };
    case 'oneOf': {
      const fields = alternatives(error.schema);
      return {
        ...item('value_error', loc(instancePath), data),
        msg: `Value error, give exactly one of ${fields.join(', ')}, not several`,
      };
    }
    case 'type':
      if (instancePath === '') {
        if (data === null || data === undefined) return item('missing', [part], null);
        return item('model_attributes_type', [part], data);
      }
      {
        const expected = TYPE_ERRORS[String(params.type)];
        if (expected) return item(expected, loc(instancePath), data);
      }
      break;
  }
  return {
    ...item('value_error', loc(instancePath), data),
    msg: `${ERROR_CATALOGUE.value_error.message} (${keyword})`,
  };
}

/**
 * Ajv's errors for a request body → FastAPI's `detail` list and the status to answer with:
 * 413 when every error is a size limit, else 422, as pydantic reports every error. Bounded
 * by what the service accepts: past MAX_ERRORS_PER_TYPE items of one type, one
 * `errors_truncated` item says how many more there were. `omitted` counts errors of a type
 * that were never materialised (a body precheck stopped early).
 */
export function validationDetail(
  errors: readonly AjvError[],
  omitted: Readonly<Partial<Record<ErrorCode, number>>> = {},
  part: ValidationPart = 'body',
): {
  status: 413 | 422;
  detail: ErrorItem[];
} {
  const detail: ErrorItem[] = [];
  const extra = new Map<ErrorCode, number>(Object.entries(omitted) as [ErrorCode, number][]);
  const shown = new Map<ErrorCode, number>();
  let tooLarge = true;
  for (const error of errors) {
    // Neither alternative of a oneOf given: the `missing` items of each already say so.
    if (error.keyword === 'oneOf' && !Array.isArray(error.params.passingSchemas)) continue;
    const type = errorType(error);
    if (ERROR_CATALOGUE[type].status !== 413) tooLarge = false;
    const count = shown.get(type) ?? 0;
    if (count >= MAX_ERRORS_PER_TYPE) {
      extra.set(type, (extra.get(type) ?? 0) + 1);
      continue;
    }
    shown.set(type, count + 1);
    detail.push(translate(error, part));
  }
  for (const [type, count] of extra) {
    if (count === 0) continue;
    if (ERROR_CATALOGUE[type].status !== 413) tooLarge = false;
    detail.push({
      type: 'errors_truncated',
      loc: [part],
      msg: `${count} more errors of type ${type} are not shown`,
      ctx: { error_type: type, omitted: count },
    });
  }
  return { status: tooLarge ? 413 : 422, detail };
}

/** The catalogue code an Ajv error translates to, without building its item. */
function errorType(error: AjvError): ErrorCode {
  switch (error.keyword) {
    case 'required':
      return 'missing';
    case 'additionalProperties':
      return 'extra_forbidden';
    case 'maxItems':
      return 'too_long';
    case 'maxLength':
      return 'string_too_long';
    case 'enum':
      return 'literal_error';
    case 'minimum':
      return 'greater_than_equal';
    case 'maximum':
      return 'less_than_equal';
    case 'type':
      if (error.instancePath === '') {
        return error.data === null || error.data === undefined
          ? 'missing'
          : 'model_attributes_type';
      }
      return TYPE_ERRORS[String(error.params.type)] ?? 'value_error';
    default:
      return 'value_error';
  }
}
