import type { EncoderLayer, EncoderSpec, Linear } from './encoder-spec.js';
import {
  biasGelu,
  fusedAttention,
  fusedEmbeddings,
  projectedAttention,
  skipLayerNorm,
} from './fused-blocks.js';
import { fp32Linear, int8Linear, type Int8Kernel, type LinearEmitter } from './linear-emitter.js';
import { DType, GraphBuilder } from './onnx-builder.js';
import { PACKED_ATTENTION_GROUPS, REPRESENTATION_OUTPUT } from '../token-batch.js';
import {
  activate,
  additiveMask,
  embeddings,
  layerNorm,
  paddedGrouping,
  selfAttention,
  unpaddedGrouping,
  type AttentionGrouping,
} from './plain-blocks.js';

/** How to lay out the graph; every combination computes the same logits. */
export interface GraphOptions {
  /** Emit ORT's fused com.microsoft kernels instead of standard ops. */
  readonly fused?: boolean;
  /** Dynamic int8 for every MatMul against a constant weight. */
  readonly int8?: boolean;
  /** With int8: store the word embeddings int8 too (per-row scales). */
  readonly int8Embeddings?: boolean;
  /** With int8: which kernel formulation (see linear-emitter.ts). */
  readonly int8Kernel?: Int8Kernel;
  /**
   * The padding-free signature (see `buildEncoderGraph`): plain ops only, `fused` is refused.
   * Same weights, same logits per sequence as the padded graph.
   */
  readonly packed?: boolean;
  /**
   * Also output `cls_representation` (REPRESENTATION_OUTPUT): default true. Only a test of
   * graphs without it (Hugging Face exports have none) turns it off.
   */
  readonly representation?: boolean;
}

// LayerNormalization needs opset 17; ORT 1.30 runs up to 21+, but 17 keeps older
// runtimes (transformers.js bundles ORT web builds) able to load the file.
const OPSET = 17;

/**
 * Builds the ONNX graph of a sequence classifier. The padded signature is the one Optimum
 * exports for `text-classification`: inputs `input_ids`, `attention_mask` int64 [batch_size,
 * sequence_length]; output `logits` float32 [batch_size, num_labels].
 *
 * With `packed`, the encoder runs on the batch's tokens with no padding (see `unpaddedGrouping`).
 * Inputs: `input_ids` and `position_ids` (restarting at 0 at each [CLS]) int64 [total_tokens],
 * the sequences one after another; `cls_index` int64 [num_sequences], where each starts;
 * for each attention group g of PACKED_ATTENTION_GROUPS (token-batch.ts), `g_attention_mask` and
 * `g_pad_index` int64 [g_sequences, g_length]: the padded graph's mask, and the token (index
 * into input_ids) in each slot, padding slots any real token; `unpad_index` int64
 * [total_tokens], each token's slot in the groups' slots laid end to end. Output `logits`
 * float32 [num_sequences, num_labels], each sequence's logits as if run alone.
 *
 * Both signatures also output `cls_representation` float32 [batch, hidden] (unless
 * `representation: false`): the [CLS] vector of the last layer, which the head (`spec.pooler`
 * then `spec.classifier`) reads, for the monitor's view of what the model saw. DistilBERT's
 * head reads it as `pre_classifier`'s input, BERT's as the pooler's: the same place in both,
 * before any head weight, so the vector means the same thing whatever the architecture.
 */
export function buildEncoderGraph(spec: EncoderSpec, options: GraphOptions = {}): Uint8Array {
  if (options.packed && options.fused) {
    // MultiHeadAttention over the padded rows measured slower than the standard ops here.
    throw new Error('the packed graph is built from plain ops only; drop `fused`');
  }
  const g = new GraphBuilder();
  const linear: LinearEmitter = options.int8 ? int8Linear(options.int8Kernel) : fp32Linear;
  const quantizedTable = Boolean(options.int8 && options.int8Embeddings);

  let cls: string; // [batch, hidden]: the [CLS] vector of each sequence
  if (options.packed) {
    const tokens = ['total_tokens'];
    const ids = g.input('input_ids', DType.int64, tokens);
    const positionIds = g.input('position_ids', DType.int64, tokens);
    const group = (prefix: string, rows: string, length: string) => {
      const slots = [rows, length];
      const mask = g.input(`${prefix}_attention_mask`, DType.int64, slots);
      const padIndex = g.input(`${prefix}_pad_index`, DType.int64, slots);
      return { padIndex, maskBias: additiveMask(g, mask) };
    };
    const groups = PACKED_ATTENTION_GROUPS.map((name) =>
      group(name, `${name}_sequences`, `${name}_length`),
    );
    const unpadIndex = g.input('unpad_index', DType.int64, tokens);
    const clsIndex = g.input('cls_index', DType.int64, ['num_sequences']);
    const x = embeddings(g, spec, ids, quantizedTable, positionIds); // [T,D]
    const attend = plainAttention(g, spec, linear, unpaddedGrouping(spec, groups, unpadIndex));
    cls = plainEncoder(g, spec, x, attend, linear, (t) =>
      g.node('Gather', [t, clsIndex], { axis: 0 }),
    );
  } else {
    const ids = g.input('input_ids', DType.int64, ['batch_size', 'sequence_length']);
    const mask = g.input('attention_mask', DType.int64, ['batch_size', 'sequence_length']);
    // Both heads read the first ([CLS]) position only.
    const first = (t: string) => g.node('Gather', [t, g.int64s([0], [])], { axis: 1 });
    cls = options.fused
      ? first(fusedEncoder(g, spec, ids, mask, linear, options))
      : plainEncoder(
          g,
          spec,
          embeddings(g, spec, ids, quantizedTable),
          plainAttention(g, spec, linear, paddedGrouping(spec, additiveMask(g, mask))),
          linear,
          first,
        );
  }

  const pooled = activate(g, linear.apply(g, cls, spec.pooler.dense), spec.pooler.activation);
  linear.apply(g, pooled, spec.classifier, { output: 'logits' });
  const batch = options.packed ? 'num_sequences' : 'batch_size';
  g.output('logits', DType.float, [batch, spec.classifier.outFeatures]);
  if (options.representation ?? true) {
    // An Identity names the value the head reads; it computes nothing the logits do not need.
    g.node('Identity', [cls], {}, { output: REPRESENTATION_OUTPUT });
    g.output(REPRESENTATION_OUTPUT, DType.float, [batch, spec.hidden]);
  }
  const variant = [
    options.fused ? 'fused' : 'plain',
    options.int8 ? 'int8' : 'fp32',
    ...(options.packed ? ['packed'] : []),
  ];
  const doc = `${spec.architecture} converted by sentiment-api (${variant.join(', ')})`;
  return g.encode('main_graph', OPSET, doc);
}

/** How one layer's self-attention is emitted: its context, before the output projection. */
type Attend = (layer: EncoderLayer, x: string) => string;

/** Standard-op attention in `grouping`, with the 1/√d scale folded into the query weights. */
function plainAttention(
  g: GraphBuilder,
  spec: EncoderSpec,
  linear: LinearEmitter,
  grouping: AttentionGrouping,
): Attend {
  const scale = 1 / Math.sqrt(spec.hidden / spec.heads);
  return (layer, x) =>
    selfAttention(g, { ...layer, query: scaleLinear(layer.query, scale) }, x, linear, grouping);
}

/**
 * The transformer blocks over embedded `x`: `attend`, then the rest in standard ops; returns
 * the [CLS] vectors [B,D], which `toCls` picks out of a tensor in the encoder's order. The
 * heads read nothing else, so the last layer runs its output projection and FFN on the [CLS]
 * rows alone: its attention still reads every token, and the logits are the same, for about
 * 9/(12·layers) fewer FLOPs (11% of a 6-layer model).
 */
function plainEncoder(
  g: GraphBuilder,
  spec: EncoderSpec,
  x: string,
  attend: Attend,
  linear: LinearEmitter,
  toCls: (t: string) => string,
): string {
  const eps = spec.layerNormEps;
  spec.layers.forEach((layer, index) => {
    let context = attend(layer, x);
    if (index === spec.layers.length - 1) {
      context = toCls(context);
      x = toCls(x);
    }
    const attended = linear.apply(g, context, layer.attentionOutput);
    x = layerNorm(
      g,
      g.node('Add', [attended, x]),
      layer.attentionNorm,
      eps,
      layer.attentionOutput.name,
    );
    const hidden = activate(g, linear.apply(g, x, layer.intermediate), spec.activation);
    const out = linear.apply(g, hidden, layer.output);
    x = layerNorm(g, g.node('Add', [out, x]), layer.outputNorm, eps, layer.output.name);
  });
  return x;
}

/** Embeddings and blocks as ORT's com.microsoft kernels (padded signature only). */
function fusedEncoder(
  g: GraphBuilder,
  spec: EncoderSpec,
  ids: string,
  mask: string,
  linear: LinearEmitter,
  options: GraphOptions,
): string {
  const eps = spec.layerNormEps;
  const mask32 = g.node('Cast', [mask], { to: DType.int32 });
  let x =
    options.int8 && options.int8Embeddings
      ? embeddings(g, spec, ids, true)
      : fusedEmbeddings(g, spec, g.node('Cast', [ids], { to: DType.int32 }));
  for (const layer of spec.layers) {
    const context = options.int8
      ? projectedAttention(g, spec, layer, x, mask32, linear)
      : fusedAttention(g, spec, layer, x, mask32);
    const attended = linear.apply(g, context, layer.attentionOutput, { withoutBias: true });
    x = skipLayerNorm(
      g,
      attended,
      x,
      layer.attentionNorm,
      layer.attentionOutput.bias,
      eps,
      layer.attentionOutput.name,
    );
    const inner = linear.apply(g, x, layer.intermediate, {
      withoutBias: spec.activation === 'gelu',
    });
    const hidden =
      spec.activation === 'gelu'
        ? biasGelu(g, inner, layer.intermediate)
        : activate(g, inner, 'relu');
    const out = linear.apply(g, hidden, layer.output, { withoutBias: true });
    x = skipLayerNorm(g, out, x, layer.outputNorm, layer.output.bias, eps, layer.output.name);
  }
  return x;
}

/** The same Linear with weight and bias multiplied by `factor` (folds attention's 1/√d). */
function scaleLinear(linear: Linear, factor: number): Linear {
  return {
    ...linear,
    weight: linear.weight.map((w) => w * factor),
    bias: linear.bias.map((b) => b * factor),
  };
}
