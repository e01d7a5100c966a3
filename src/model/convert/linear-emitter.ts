import type { Linear } from './encoder-spec.js';
import { GraphBuilder, MS_DOMAIN } from './onnx-builder.js';
import { quantizeTransposedPerColumn, transpose } from './quantize.js';

/** Options of one projection. */
export interface ApplyOptions {
  /** Leave the bias out: a fused consumer (SkipLayerNormalization, BiasGelu) adds it. */
  readonly withoutBias?: boolean;
  /** Name the result, e.g. the graph output `logits`. */
  readonly output?: string;
}

/** How a Linear layer becomes graph nodes: the one place fp32 and int8 graphs differ. */
export interface LinearEmitter {
  /** Emits x · Wᵀ (+ b) over the last axis of `x`, any leading shape. */
  apply(g: GraphBuilder, x: string, linear: Linear, options?: ApplyOptions): string;
}

/** fp32: MatMul against the pre-transposed weight, then Add; ORT fuses the pair itself. */
export const fp32Linear: LinearEmitter = {
  apply(g, x, linear, options = {}) {
    const weight = g.floats(
      `${linear.name}.weight_T`,
      transpose(linear.weight, linear.outFeatures, linear.inFeatures),
      [linear.inFeatures, linear.outFeatures],
    );
    if (options.withoutBias) return g.node('MatMul', [x, weight], {}, { output: options.output });
    const product = g.node('MatMul', [x, weight]);
    return g.node(
      'Add',
      [product, g.floats(`${linear.name}.bias`, linear.bias, [linear.outFeatures])],
      {},
      { output: options.output },
    );
  },
};

/** Which int8 kernel formulation to emit; both compute the same thing. */
export type Int8Kernel = 'DynamicQuantizeMatMul' | 'MatMulInteger';

/**
 * Dynamic int8: weights quantised offline per output channel, activations quantised per
 * tensor at run time (uint8 with a zero point, so ReLU/GELU outputs keep full range).
 * `DynamicQuantizeMatMul` (com.microsoft) does quantise + u8s8 GEMM + rescale + bias in one
 * kernel; `MatMulInteger` spells the same out in standard ONNX ops.
 */
export function int8Linear(kernel: Int8Kernel = 'DynamicQuantizeMatMul'): LinearEmitter {
  return {
    apply(g, x, linear, options = {}) {
      const q = quantizeTransposedPerColumn(linear.weight, linear.outFeatures, linear.inFeatures);
      const weight = g.int8s(`${linear.name}.weight_T_quantized`, q.values, [
        linear.inFeatures,
        linear.outFeatures,
      ]);
      const scales = g.floats(`${linear.name}.weight_scale`, q.scales, [linear.outFeatures]);
      const bias = options.withoutBias
        ? ''
        : g.floats(`${linear.name}.bias`, linear.bias, [linear.outFeatures]);
      if (kernel === 'DynamicQuantizeMatMul') {
        const inputs = bias ? [x, weight, scales, '', bias] : [x, weight, scales];
        return g.node(
          'DynamicQuantizeMatMul',
          inputs,
          {},
          { domain: MS_DOMAIN, output: options.output },
        );
      }
      const [xq, xScale, xZero] = g.nodeN('DynamicQuantizeLinear', [x], {}, { outputs: 3 });
      const accum = g.node('MatMulInteger', [xq!, weight, xZero!]);
      const scale = g.node('Mul', [xScale!, scales]);
      const scaled = g.node(
        'Mul',
        [g.node('Cast', [accum], { to: 1 }), scale],
        {},
        bias ? {} : { output: options.output },
      );
      return bias ? g.node('Add', [scaled, bias], {}, { output: options.output }) : scaled;
    },
  };
}
