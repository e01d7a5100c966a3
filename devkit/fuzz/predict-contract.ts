/**
 * The checks every fuzzed answer must pass, whatever was sent: no 5xx, refusals in the
 * documented shape with codes of the catalogue, successes shaped as the contract, nothing of
 * the server's internals (stack frames, its paths) in any body, and, when the contract pins
 * the answer down (predict-oracle.ts), exactly that answer.
 */
import { ERROR_CATALOGUE } from '../../src/errors.js';
import { REPO_ROOT } from '../shared-data.js';
import type { Answer } from './http-exchange.js';
import type { Expectation } from './predict-oracle.js';

/**
 * What would show a server's internals in an answer: a stack frame, its paths. Echoing a
 * client's own input is allowed, so a marker the request itself holds is not looked for.
 */
export const LEAK_MARKERS: readonly string[] = [
  '    at ',
  'node_modules',
  '/work/',
  '/home/',
  'file://',
  REPO_ROOT.replace(/\/$/, ''),
];

/** How much larger than its request a refusal may be: 20 items per type, each echo cut short. */
export const MAX_REFUSAL_OVERHEAD_BYTES = 16 * 1024;

const STRING_DETAILS: Readonly<Record<number, string>> = {
  404: ERROR_CATALOGUE.not_found.message,
  405: ERROR_CATALOGUE.method_not_allowed.message,
};

/** A broken promise of the contract; its message is the report. */
export class ContractViolation extends Error {}

function fail(message: string): never {
  throw new ContractViolation(message);
}

/**
 * Checks `answer` to a request of bytes `sent` against the contract; throws a
 * ContractViolation saying what broke. `labels` are the model's classes in class-id order.
 */
export function checkAnswer(
  answer: Answer,
  expected: Expectation,
  sent: Buffer,
  labels: readonly string[],
): void {
  if (answer.kind === 'closed') {
    if ('any' in expected && expected.mayClose) return;
    fail(`the connection closed without an answer (${answer.received.length} bytes)`);
  }
  const { status, body } = answer;
  const text = body.toString('utf8');
  if (status >= 500) fail(`status ${status}: ${text.slice(0, 300)}`);
  for (const marker of LEAK_MARKERS) {
    if (text.includes(marker) && !sent.includes(marker)) {
      fail(`the answer shows ${JSON.stringify(marker)}: ${text.slice(0, 300)}`);
    }
  }
  if ('status' in expected && status !== expected.status) {
    fail(`status ${status}, the contract says ${expected.status}: ${text.slice(0, 300)}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    fail(`status ${status} with a body that is not JSON: ${JSON.stringify(text.slice(0, 200))}`);
  }
  if (!(answer.headers['content-type'] ?? '').startsWith('application/json')) {
    fail(`status ${status} with content-type ${answer.headers['content-type']}`);
  }
  if (status === 200) {
    const texts = 'texts' in expected ? expected.texts : undefined;
    return checkPredictions(parsed, texts, labels);
  }
  if (status < 400) fail(`status ${status} to POST /predict`);
  // An answer never costs more than the request: echoes are bounded (bounded-echo.ts).
  if (body.length > MAX_REFUSAL_OVERHEAD_BYTES + sent.length) {
    fail(`a ${status} of ${body.length} bytes to a request of ${sent.length}`);
  }
  const { detail } = parsed as { detail?: unknown };
  if (STRING_DETAILS[status] !== undefined) {
    if (detail !== STRING_DETAILS[status]) fail(`${status} with detail ${JSON.stringify(detail)}`);
    return;
  }
  const types = checkDetail(status, detail);
  if ('types' in expected) {
    const got = [...new Set(types.filter((type) => type !== 'errors_truncated'))].sort();
    if (got.join() !== [...expected.types].sort().join()) {
      fail(`types [${got}], the contract says [${expected.types}]: ${text.slice(0, 300)}`);
    }
  }
}

/** A refusal's `detail`: a non-empty list of catalogued items; returns their types. */
function checkDetail(status: number, detail: unknown): string[] {
  if (!Array.isArray(detail) || detail.length === 0) {
    fail(`${status} whose detail is not a non-empty list: ${JSON.stringify(detail)}`);
  }
  const types = detail.map((item: unknown, index) => {
    const { loc, msg, type } = (item ?? {}) as { loc?: unknown; msg?: unknown; type?: unknown };
    const where = `detail[${index}] = ${JSON.stringify(item).slice(0, 200)}`;
    if (!Array.isArray(loc) || !loc.every((p) => typeof p === 'string' || Number.isInteger(p))) {
      fail(`${where}: loc is not a list of keys and indexes`);
    }
    if (typeof msg !== 'string') fail(`${where}: msg is not a string`);
    if (typeof type !== 'string' || !Object.hasOwn(ERROR_CATALOGUE, type)) {
      fail(`${where}: type is not a code of src/errors.ts`);
    }
    return type;
  });
  const statuses: number[] = types.map(
    (type) => ERROR_CATALOGUE[type as keyof typeof ERROR_CATALOGUE].status,
  );
  if (!statuses.includes(status)) fail(`status ${status} for types [${types}]`);
  return types;
}

/** A 200: one list per text, each with every label in order, scores summing to 1. */
function checkPredictions(
  parsed: unknown,
  texts: number | undefined,
  labels: readonly string[],
): void {
  const { predictions } = (parsed ?? {}) as { predictions?: unknown };
  if (!Array.isArray(predictions)) fail(`200 without a predictions list`);
  if (texts !== undefined && predictions.length !== texts) {
    fail(`200 with ${predictions.length} predictions for ${texts} texts`);
  }
  predictions.forEach((scores: unknown, index) => {
    const row = JSON.stringify(scores);
    if (!Array.isArray(scores) || scores.length !== labels.length) {
      fail(`predictions[${index}] = ${row}: not one score per label`);
    }
    let sum = 0;
    scores.forEach((entry: { label?: unknown; score?: unknown }, k) => {
      if (entry.label !== labels[k]) fail(`predictions[${index}] = ${row}: labels out of order`);
      const score = entry.score;
      if (typeof score !== 'number' || !(score >= 0 && score <= 1)) {
        fail(`predictions[${index}] = ${row}: a score outside [0, 1]`);
      }
      sum += score;
    });
    if (Math.abs(sum - 1) > 1e-6) fail(`predictions[${index}] = ${row}: scores sum to ${sum}`);
  });
}
