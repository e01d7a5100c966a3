import type { TObject } from '@sinclair/typebox';
import type { preValidationHookHandler } from 'fastify';
import { MAX_ERRORS_PER_TYPE, type AjvError } from './validation.js';

/** A refusal found before Ajv ran; the error handler reads it as Ajv's own. */
export interface PrecheckFailure extends Error {
  readonly validation: AjvError[];
  readonly validationContext: 'body';
  readonly omitted: { extra_forbidden?: number };
}

/**
 * A preValidation hook for an object body schema that refuses, before Ajv walks it, a body
 * whose errors would outnumber what the service accepts: a list longer than its `maxItems`
 * (Ajv, reporting every error, would check each of its items), or more unknown keys than one
 * answer lists. Its work is bounded by the schema, not by the body: lists are not entered and
 * keys are only counted past the first few. Anything smaller goes on to Ajv, which reports
 * every error as pydantic does.
 */
export function sizeGuard(schema: TObject): preValidationHookHandler {
  const known = new Set(Object.keys(schema.properties));
  const required = schema.required ?? [];
  const lists = Object.entries(schema.properties).flatMap(([name, property]) =>
    typeof property.maxItems === 'number' ? [[name, property.maxItems as number] as const] : [],
  );
  // Takes `done` rather than being async: an async hook costs a promise on every request.
  return (request, _reply, done) => done(refusal(request.body));
  function refusal(body: unknown): PrecheckFailure | undefined {
    if (body === null || typeof body !== 'object' || Array.isArray(body)) return undefined;
    const fields = body as Record<string, unknown>;
    const errors: AjvError[] = [];
    let extras = 0;
    for (const key in fields) {
      if (!Object.hasOwn(fields, key) || known.has(key)) continue;
      if (++extras <= MAX_ERRORS_PER_TYPE) {
        errors.push({
          instancePath: '',
          keyword: 'additionalProperties',
          params: { additionalProperty: key },
          data: fields,
        });
      }
    }
    let oversized = false;
    for (const [name, limit] of lists) {
      const value = fields[name];
      if (Array.isArray(value) && value.length > limit) {
        oversized = true;
        errors.push({
          instancePath: `/${name}`,
          keyword: 'maxItems',
          params: { limit },
          data: value,
        });
      }
    }
    if (!oversized && extras <= MAX_ERRORS_PER_TYPE) return undefined;
    for (const name of required) {
      if (!Object.hasOwn(fields, name)) {
        errors.unshift({
          instancePath: '',
          keyword: 'required',
          params: { missingProperty: name },
          data: fields,
        });
      }
    }
    const extraOmitted = Math.max(0, extras - MAX_ERRORS_PER_TYPE);
    return Object.assign(new Error('request body refused before validation'), {
      validation: errors,
      validationContext: 'body' as const,
      omitted: extraOmitted > 0 ? { extra_forbidden: extraOmitted } : {},
    }) satisfies PrecheckFailure;
  }
}
