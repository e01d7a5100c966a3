import { AppError, InferenceRequestInvalidError } from '../../errors.js';
import type { RequestLimits } from '../schemas.js';
import { INPUT_NAME, OUTPUT_NAMES, type OutputName } from './protocol.js';

/** An inference request as the classifier needs it. */
export interface InferRequest {
  /** The request's `id`, returned in the answer. */
  readonly id: string | undefined;
  readonly texts: string[];
  /** The outputs to answer, in the order asked (all, in model order, when none were). */
  readonly outputs: readonly OutputName[];
}

/** A value echoed in a message, cut short: an answer never costs more than the request. */
function echo(value: unknown): string {
  const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  return text.length > 64 ? `${text.slice(0, 64)}…` : text;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

const invalid = (message: string) => new InferenceRequestInvalidError(message);

/**
 * Checks an Open Inference Protocol infer body (inference_rest.md, "Inference Request JSON
 * Object") and reads the texts out of it: one input `text`, BYTES, shape [N] or [N, 1], data
 * the N strings, flat or nested as [[s], …] (the protocol allows both). The first problem
 * found is thrown as one 400 with the protocol's one message; too many texts or a text over
 * MAX_TEXT_CHARS are 413, as on /predict, found from the shape before any element is read.
 * Its work is bounded by what the service accepts, never by the body.
 */
export function parseInferRequest(body: unknown, limits: RequestLimits): InferRequest {
  if (!isObject(body)) throw invalid('the request body must be a JSON object');
  const { id, parameters, inputs, outputs } = body;
  if (id !== undefined && typeof id !== 'string') throw invalid("'id' must be a string");
  if (parameters !== undefined && !isObject(parameters))
    throw invalid("'parameters' must be an object");
  if (!Array.isArray(inputs)) throw invalid("'inputs' must be a list of input tensors");
  if (inputs.length !== 1) {
    throw invalid(
      `expected 1 input, '${INPUT_NAME}', got ${inputs.length}` +
        (inputs.length > 1 ? ' (the model has no other input)' : ''),
    );
  }
  return { id, texts: readTexts(inputs[0], limits), outputs: readOutputs(outputs) };
}

function readTexts(input: unknown, limits: RequestLimits): string[] {
  if (!isObject(input)) throw invalid('an input must be an object');
  const { name, datatype, shape, data } = input;
  if (name !== INPUT_NAME)
    throw invalid(
      `unexpected inference input '${echo(name)}'; the model's input is '${INPUT_NAME}'`,
    );
  if (datatype !== 'BYTES')
    throw invalid(`input '${INPUT_NAME}' has datatype '${echo(datatype)}'; expected BYTES`);
  const wellShaped =
    Array.isArray(shape) &&
    (shape.length === 1 || (shape.length === 2 && shape[1] === 1)) &&
    Number.isSafeInteger(shape[0]) &&
    (shape[0] as number) >= 0;
  if (!wellShaped)
    throw invalid(`input '${INPUT_NAME}' has shape ${echo(shape)}; expected [N] or [N, 1]`);
  const count = shape[0] as number;
  if (count > limits.maxTexts)
    throw new AppError('too_long', `at most ${limits.maxTexts} texts in one request, got ${count}`);
  if (!Array.isArray(data)) {
    throw invalid(`input '${INPUT_NAME}' has no 'data' list (binary tensor data is not supported)`);
  }
  if (data.length !== count)
    throw invalid(
      `input '${INPUT_NAME}' has shape [${shape.join(', ')}] but ${data.length} elements`,
    );
  const texts = new Array<string>(count);
  for (let index = 0; index < count; index++) {
    let element: unknown = data[index];
    // [N, 1] may come nested, one single-element list per text.
    if (shape.length === 2 && Array.isArray(element) && element.length === 1) element = element[0];
    if (typeof element !== 'string')
      throw invalid(
        `input '${INPUT_NAME}' element ${index} is not a string (BYTES elements are JSON strings)`,
      );
    if (limits.maxTextChars > 0 && element.length > limits.maxTextChars) {
      throw new AppError(
        'string_too_long',
        `input '${INPUT_NAME}' element ${index} is longer than ${limits.maxTextChars} characters`,
      );
    }
    texts[index] = element;
  }
  return texts;
}

function readOutputs(outputs: unknown): OutputName[] {
  if (outputs === undefined) return [...OUTPUT_NAMES];
  if (!Array.isArray(outputs)) throw invalid("'outputs' must be a list of requested outputs");
  // The protocol: with no output named, every output is answered (as Triton does for []).
  if (outputs.length === 0) return [...OUTPUT_NAMES];
  const wanted: OutputName[] = [];
  for (const output of outputs.slice(0, OUTPUT_NAMES.length + 1)) {
    const name = isObject(output) ? output.name : undefined;
    if (!OUTPUT_NAMES.includes(name as OutputName)) {
      throw invalid(
        `unexpected inference output '${echo(name)}'; the model's outputs are ${OUTPUT_NAMES.map((n) => `'${n}'`).join(', ')}`,
      );
    }
    if (wanted.includes(name as OutputName))
      throw invalid(`output '${name as string}' is requested twice`);
    wanted.push(name as OutputName);
  }
  return wanted;
}
