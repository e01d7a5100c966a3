import type { EncoderSpec, Linear } from './encoder-spec.js';
import {
  biasGelu,
  fusedAttention,
  fusedEmbeddings,
  projectedAttention,
  skipLayerNorm,
} from './fused-blocks.js';
import { fp32Linear, int8Linear, type Int8Kernel, type LinearEmitter } from './linear-emitter.js';
import { DType, GraphBuilder } from './onnx-builder.js';
import { activate, additiveMask, embeddings, layerNorm, selfAttention } from './plain-blocks.js';

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
}

// LayerNormalization needs opset 17; ORT 1.30 runs up to 21+, but 17 keeps older
// runtimes (transformers.js bundles ORT web builds) able to load the file.
const OPSET = 17;

/**
 * Builds the ONNX graph of a sequence classifier with the signature Optimum exports for
 * `text-classification`: inputs `input_ids`, `attention_mask` int64 [batch_size,
 * sequence_length]; output `logits` float32 [batch_size, num_labels].
 */
export function buildEncoderGraph(spec: EncoderSpec, options: GraphOptions = {}): Uint8Array {
  const g = new GraphBuilder();
  const linear: LinearEmitter = options.int8 ? int8Linear(options.int8Kernel) : fp32Linear;
  const ids = g.input('input_ids', DType.int64, ['batch_size', 'sequence_length']);
  const mask = g.input('attention_mask', DType.int64, ['batch_size', 'sequence_length']);
  const eps = spec.layerNormEps;

  let x: string;
  if (options.fused) {
    const mask32 = g.node('Cast', [mask], { to: DType.int32 });
    const quantizedTable = Boolean(options.int8 && options.int8Embeddings);
    x = quantizedTable
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
  } else {
    x = embeddings(g, spec, ids, Boolean(options.int8 && options.int8Embeddings));
    const maskBias = additiveMask(g, mask);
    for (const layer of spec.layers) {
      const scaled = {
        ...layer,
        query: scaleLinear(layer.query, 1 / Math.sqrt(spec.hidden / spec.heads)),
      };
      const context = selfAttention(g, spec, scaled, x, maskBias, linear);
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
    }
  }

  // Both heads read the first ([CLS]) position only.
  const cls = g.node('Gather', [x, g.int64s([0], [])], { axis: 1 });
  const pooled = activate(g, linear.apply(g, cls, spec.pooler.dense), spec.pooler.activation);
  linear.apply(g, pooled, spec.classifier, { output: 'logits' });
  g.output('logits', DType.float, ['batch_size', spec.classifier.outFeatures]);
  const doc = `${spec.architecture} converted by sentiment-api (${options.fused ? 'fused' : 'plain'}, ${options.int8 ? 'int8' : 'fp32'})`;
  return g.encode('main_graph', OPSET, doc);
}

/** The same Linear with weight and bias multiplied by `factor` (folds attention's 1/√d). */
function scaleLinear(linear: Linear, factor: number): Linear {
  return {
    ...linear,
    weight: linear.weight.map((w) => w * factor),
    bias: linear.bias.map((b) => b * factor),
  };
}
