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

/** One block of rows attention runs on: how a projection becomes its [B,S,H,d], its mask. */
export interface AttentionGroup {
  toHeads(g: GraphBuilder, projected: string): string;
  /** Additive score bias [B,1,1,S]. */
  readonly maskBias: string;
}

/**
 * Where attention runs: one or more groups of padded rows, and how their merged contexts
 * ([B,S,D] each) go back to the encoder's order.
 */
export interface AttentionGrouping {
  readonly groups: readonly AttentionGroup[];
  fromHeads(g: GraphBuilder, contexts: readonly string[]): string;
}

/** [.., D] → [.., H, d] over the last axis, the first two kept. */
function splitHeads(g: GraphBuilder, spec: EncoderSpec, x: string): string {
  return g.node('Reshape', [x, g.int64s([0, 0, spec.heads, spec.hidden / spec.heads])]);
}

/** The standard graph: the encoder runs on padded rows [B,S,D] already; one group. */
export function paddedGrouping(spec: EncoderSpec, maskBias: string): AttentionGrouping {
  return {
    groups: [{ toHeads: (g, projected) => splitHeads(g, spec, projected), maskBias }],
    fromHeads: (g, [context]) => g.node('Reshape', [context!, g.int64s([0, 0, spec.hidden])]),
  };
}

/**
 * The packed graph: the encoder runs on the batch's tokens with no padding, [T,D], so the
 * projections and the FFN (~95% of the FLOPs at SST-2 lengths) compute real tokens only.
 * Attention alone is laid out padded, in groups of rows of similar length (the batcher puts
 * the longest texts in one, the rest in another, so the short ones are not padded to the
 * longest): each group's `padIndex` [B,S] gathers its sequences' tokens into rows (padding
 * slots repeat a real token and are masked as keys), and `unpadIndex` [T] gathers each
 * token's context back out of the groups' [B·S,D] rows laid end to end, as
 * FasterTransformer's and ByteTransformer's "remove padding" kernels do.
 */
export function unpaddedGrouping(
  spec: EncoderSpec,
  groups: readonly { readonly padIndex: string; readonly maskBias: string }[],
  unpadIndex: string,
): AttentionGrouping {
  return {
    groups: groups.map(({ padIndex, maskBias }) => ({
      toHeads: (g, projected) =>
        splitHeads(g, spec, g.node('Gather', [projected, padIndex], { axis: 0 })),
      maskBias,
    })),
    fromHeads: (g, contexts) => {
      const rows = contexts.map((c) => g.node('Reshape', [c, g.int64s([-1, spec.hidden])]));
      const all = rows.length === 1 ? rows[0]! : g.node('Concat', rows, { axis: 0 });
      return g.node('Gather', [all, unpadIndex], { axis: 0 });
    },
  };
}

/**
 * Scaled dot-product self-attention in standard ops; returns the per-head context merged
 * back to the encoder's order (before the output projection). Q, K and V are projected once;
 * each group of the grouping then attends on its own rows. The 1/sqrt(head_dim) scale is folded
 * into the query weights by the caller.
 */
export function selfAttention(
  g: GraphBuilder,
  layer: EncoderLayer,
  x: string,
  linear: LinearEmitter,
  grouping: AttentionGrouping,
): string {
  const [query, key, value] = (['query', 'key', 'value'] as const).map((name) =>
    linear.apply(g, x, layer[name]),
  );
  const contexts = grouping.groups.map(({ toHeads, maskBias }) => {
    const heads = (projected: string, perm: number[]) =>
      g.node('Transpose', [toHeads(g, projected)], { perm });
    const q = heads(query!, [0, 2, 1, 3]); // [B,H,S,d]
    const kT = heads(key!, [0, 2, 3, 1]); // [B,H,d,S]
    const v = heads(value!, [0, 2, 1, 3]);
    const scores = g.node('Add', [g.node('MatMul', [q, kT]), maskBias]);
    const probs = g.node('Softmax', [scores], { axis: -1 });
    return g.node('Transpose', [g.node('MatMul', [probs, v])], { perm: [0, 2, 1, 3] });
  });
  return grouping.fromHeads(g, contexts);
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
