import type { EncoderLayer, EncoderSpec, Norm, Activation } from './encoder-spec.js';
import type { LinearEmitter } from './linear-emitter.js';
import { DType, float, type GraphBuilder } from './onnx-builder.js';
import { quantizeRows } from './quantize.js';

// transformers fills masked attention scores with torch.finfo(float32).min; after softmax's
// max-subtraction those keys get exactly zero weight, so padding cannot move the logits.
const FLOAT32_MIN = -3.4028234663852886e38;

/**
 * word + position embeddings, then LayerNorm, in standard ops. With `quantized`, the word
 * table is stored int8 with one scale per row and dequantised after the Gather (4× smaller
 * file; the table is most of a small model's bytes). Positions are 0…S−1 of every row, or,
 * given `positionIds` (the packed graph, where each sequence restarts at 0), gathered.
 * The result has the shape of `ids` plus the hidden axis.
 */
export function embeddings(
  g: GraphBuilder,
  spec: EncoderSpec,
  ids: string,
  quantized: boolean,
  positionIds?: string,
): string {
  const { word, position, norm } = spec.embeddings;
  const [vocab, hidden] = word.shape as [number, number];
  let words: string;
  if (quantized) {
    const q = quantizeRows(word.data, vocab, hidden);
    const table = g.int8s('word_embeddings.weight_quantized', q.values, [vocab, hidden]);
    const scales = g.floats('word_embeddings.weight_scale', q.scales, [vocab, 1]);
    const gathered = g.node('Cast', [g.node('Gather', [table, ids])], { to: DType.float });
    words = g.node('Mul', [gathered, g.node('Gather', [scales, ids])]);
  } else {
    words = g.node('Gather', [g.floats('word_embeddings.weight', word.data, [vocab, hidden]), ids]);
  }
  const table = g.floats('position_embeddings.weight', position.data, position.shape);
  const positions = positionIds
    ? g.node('Gather', [table, positionIds])
    : g.node('Slice', [
        table,
        g.int64s([0]),
        g.node('Shape', [ids], { start: 1, end: 2 }),
        g.int64s([0]),
      ]);
  return layerNorm(g, g.node('Add', [words, positions]), norm, spec.layerNormEps, 'embeddings');
}

/** attention_mask int64 [B,S] → additive score bias [B,1,1,S]: 0 to keep, float32 min to drop. */
export function additiveMask(g: GraphBuilder, mask: string): string {
  const keep = g.node('Cast', [mask], { to: DType.float });
  const drop = g.node('Sub', [g.scalar(1), keep]);
  return g.node('Unsqueeze', [g.node('Mul', [drop, g.scalar(FLOAT32_MIN)]), g.int64s([1, 2])]);
}

/**
 * Where attention runs, as a pair of reshapes: `toHeads` takes a projection in the encoder's
 * layout to [B,S,H,d] (H heads of d), `fromHeads` takes a merged context [B,S,D] back.
 */
export interface AttentionLayout {
  toHeads(g: GraphBuilder, projected: string): string;
  fromHeads(g: GraphBuilder, context: string): string;
}

/** The standard graph: the encoder runs on padded rows [B,S,D] already. */
export function paddedLayout(spec: EncoderSpec): AttentionLayout {
  const headDim = spec.hidden / spec.heads;
  return {
    toHeads: (g, projected) =>
      g.node('Reshape', [projected, g.int64s([0, 0, spec.heads, headDim])]),
    fromHeads: (g, context) => g.node('Reshape', [context, g.int64s([0, 0, spec.hidden])]),
  };
}

/**
 * The packed graph: the encoder runs on the batch's tokens with no padding, [T,D], so the
 * projections and the FFN (~95% of the FLOPs at SST-2 lengths) compute real tokens only.
 * Attention alone is laid out padded: `pad_index` [B,S] gathers each sequence's tokens into
 * its row (padding slots repeat a real token and are masked as keys), and `unpad_index` [T]
 * gathers each token's context back out of the [B·S,D] rows, as FasterTransformer's and
 * ByteTransformer's "remove padding" kernels do. Attention costs B·S² (padded), not T².
 */
export function unpaddedLayout(
  spec: EncoderSpec,
  padIndex: string,
  unpadIndex: string,
): AttentionLayout {
  const padded = paddedLayout(spec);
  return {
    toHeads: (g, projected) =>
      padded.toHeads(g, g.node('Gather', [projected, padIndex], { axis: 0 })),
    fromHeads: (g, context) =>
      g.node('Gather', [g.node('Reshape', [context, g.int64s([-1, spec.hidden])]), unpadIndex], {
        axis: 0,
      }),
  };
}

/**
 * Scaled dot-product self-attention in standard ops; returns the per-head context merged
 * back to the encoder's layout (before the output projection). The 1/sqrt(head_dim) scale is
 * folded into the query weights by the caller.
 */
export function selfAttention(
  g: GraphBuilder,
  layer: EncoderLayer,
  x: string,
  maskBias: string,
  linear: LinearEmitter,
  layout: AttentionLayout,
): string {
  const heads = (name: 'query' | 'key' | 'value', perm: number[]) =>
    g.node('Transpose', [layout.toHeads(g, linear.apply(g, x, layer[name]))], { perm });
  const q = heads('query', [0, 2, 1, 3]); // [B,H,S,d]
  const kT = heads('key', [0, 2, 3, 1]); // [B,H,d,S]
  const v = heads('value', [0, 2, 1, 3]);
  const scores = g.node('Add', [g.node('MatMul', [q, kT]), maskBias]);
  const probs = g.node('Softmax', [scores], { axis: -1 });
  const context = g.node('Transpose', [g.node('MatMul', [probs, v])], { perm: [0, 2, 1, 3] });
  return layout.fromHeads(g, context);
}

/** LayerNormalization (opset 17) over the last axis. */
export function layerNorm(
  g: GraphBuilder,
  x: string,
  norm: Norm,
  eps: number,
  name: string,
): string {
  const hidden = norm.gamma.length;
  return g.node(
    'LayerNormalization',
    [
      x,
      g.floats(`${name}.LayerNorm.weight`, norm.gamma, [hidden]),
      g.floats(`${name}.LayerNorm.bias`, norm.beta, [hidden]),
    ],
    { axis: -1, epsilon: float(eps) },
  );
}

/** The FFN non-linearity; GELU is the exact erf form, x · ½(1 + erf(x/√2)), as in transformers. */
export function activate(g: GraphBuilder, x: string, activation: Activation | 'tanh'): string {
  if (activation === 'relu') return g.node('Relu', [x]);
  if (activation === 'tanh') return g.node('Tanh', [x]);
  // Spelled exactly as torch exports it (Div, Erf, Add, Mul, Mul) so ORT's GeluFusion and
  // BiasGeluFusion recognise it.
  const erf = g.node('Erf', [g.node('Div', [x, g.scalar(Math.SQRT2)])]);
  return g.node('Mul', [g.node('Mul', [x, g.node('Add', [erf, g.scalar(1)])]), g.scalar(0.5)]);
}
