/**
 * What this server is on the Open Inference Protocol (the KServe / Triton "v2" REST protocol,
 * https://github.com/kserve/open-inference-protocol, specification/protocol/inference_rest.md):
 * one model, one version, one BYTES input of texts, two outputs. Shared by the routes, the
 * request parser and the error handler, which answers `/v2/...` in the protocol's shape.
 */
import type { ErrorItem } from '../schemas.js';

/** The one version of the served model; `/versions/{other}` is 404. */
export const MODEL_VERSION = '1';
/** Triton's platform name for an ONNX graph run by ONNX Runtime. */
export const PLATFORM = 'onnxruntime_onnx';
/** The input tensor: BYTES, shape [N] or [N, 1], one text per element (the /predict `text`). */
export const INPUT_NAME = 'text';
/** FP32 [N, C]: every class's probability, in class-id order (the model's id2label). */
export const PROBABILITIES_OUTPUT = 'probabilities';
/** BYTES [N]: each text's most probable label. */
export const LABEL_OUTPUT = 'label';
/** Every output, in the order the model metadata lists them and an answer gives them by default. */
export const OUTPUT_NAMES = [PROBABILITIES_OUTPUT, LABEL_OUTPUT] as const;
export type OutputName = (typeof OUTPUT_NAMES)[number];

/** Whether a request path is one of the protocol's, whose errors answer `{"error": "…"}`. */
export function isOpenInferencePath(url: string): boolean {
  return url === '/v2' || url.startsWith('/v2/') || url.startsWith('/v2?');
}

/** At most this many of an answer's error items are named in the protocol's one message. */
const MAX_ITEMS_IN_MESSAGE = 3;

/**
 * The protocol's one error string for what the rest of the API answers as FastAPI's `detail`:
 * the string itself, or the first few items' messages with where they are (`inputs.0.data`),
 * so the answer stays as bounded as the `detail` it replaces.
 */
export function openInferenceMessage(detail: readonly ErrorItem[] | string): string {
  if (typeof detail === 'string') return detail;
  const parts = detail.slice(0, MAX_ITEMS_IN_MESSAGE).map((item) => {
    const where = item.loc.filter((part) => part !== 'body').join('.');
    const reason = typeof item.ctx?.error === 'string' ? `: ${item.ctx.error}` : '';
    return `${item.msg}${reason}${where === '' ? '' : ` (at ${where})`}`;
  });
  const more = detail.length - MAX_ITEMS_IN_MESSAGE;
  return parts.join('; ') + (more > 0 ? `; and ${more} more` : '');
}
