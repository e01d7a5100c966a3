import type { EncoderLayer, EncoderSpec, Linear, Norm } from './encoder-spec.js';
import type { LinearEmitter } from './linear-emitter.js';
import { float, MS_DOMAIN, type GraphBuilder } from './onnx-builder.js';
import { transpose } from './quantize.js';

// The com.microsoft kernels below are the ones ORT's offline transformer optimiser
// (onnxruntime/python/tools/transformers/optimizer.py, model_type "bert") fuses BERT-family
// graphs into; see docs/ContribOperators.md in microsoft/onnxruntime for each signature.

/** EmbedLayerNormalization: Gather(word) + Gather(position) + LayerNorm in one kernel. */
export function fusedEmbeddings(g: GraphBuilder, spec: EncoderSpec, ids32: string): string {
  const { word, position, norm } = spec.embeddings;
  const hidden = spec.hidden;
  const [output] = g.nodeN(
    'EmbedLayerNormalization',
    [
      ids32,
      '', // segment_ids: none (see EncoderSpec.embeddings.position)
      g.floats('word_embeddings.weight', word.data, word.shape),
      g.floats('position_embeddings.weight', position.data, position.shape),
      '',
      g.floats('embeddings.LayerNorm.weight', norm.gamma, [hidden]),
      g.floats('embeddings.LayerNorm.bias', norm.beta, [hidden]),
    ],
    { epsilon: float(spec.layerNormEps) },
    { domain: MS_DOMAIN, outputs: 2 }, // the second output (mask_index) is required but unused
  );
  return output!;
}

/**
 * fp32 self-attention as one Attention kernel: Q, K and V weights packed side by side
 * ([D, 3D]) so one GEMM projects all three. `mask32` is the raw int32 [B,S] mask, which,
 * unlike the 1-D sequence-length form, is right for any padding side.
 */
export function fusedAttention(
  g: GraphBuilder,
  spec: EncoderSpec,
  layer: EncoderLayer,
  x: string,
  mask32: string,
): string {
  const packed = packQkv(layer);
  const weight = g.floats(
    `${packed.name}.weight_T`,
    transpose(packed.weight, packed.outFeatures, packed.inFeatures),
    [packed.inFeatures, packed.outFeatures],
  );
  const bias = g.floats(`${packed.name}.bias`, packed.bias, [packed.outFeatures]);
  return g.node(
    'Attention',
    [x, weight, bias, mask32],
    { num_heads: spec.heads },
    { domain: MS_DOMAIN },
  );
}

/**
 * Self-attention whose Q/K/V projections go through `linear` (the int8 path, where the
 * Attention kernel cannot take quantised weights): one packed projection, Split, then the
 * MultiHeadAttention kernel with a key padding mask.
 */
export function projectedAttention(
  g: GraphBuilder,
  spec: EncoderSpec,
  layer: EncoderLayer,
  x: string,
  mask32: string,
  linear: LinearEmitter,
): string {
  const qkv = linear.apply(g, x, packQkv(layer));
  const [q, k, v] = g.nodeN(
    'Split',
    [qkv, g.int64s([spec.hidden, spec.hidden, spec.hidden])],
    { axis: -1 },
    { outputs: 3 },
  );
  return g.node(
    'MultiHeadAttention',
    [q!, k!, v!, '', mask32],
    { num_heads: spec.heads },
    { domain: MS_DOMAIN },
  );
}

/** LayerNorm(x + residual + bias) in one kernel. */
export function skipLayerNorm(
  g: GraphBuilder,
  x: string,
  residual: string,
  norm: Norm,
  bias: Float32Array,
  eps: number,
  name: string,
): string {
  const hidden = norm.gamma.length;
  return g.node(
    'SkipLayerNormalization',
    [
      x,
      residual,
      g.floats(`${name}.LayerNorm.weight`, norm.gamma, [hidden]),
      g.floats(`${name}.LayerNorm.bias`, norm.beta, [hidden]),
      g.floats(`${name}.bias`, bias, [hidden]),
    ],
    { epsilon: float(eps) },
    { domain: MS_DOMAIN },
  );
}

/** GELU(x + bias) with exact erf, in one kernel (FastGelu is the tanh approximation). */
export function biasGelu(g: GraphBuilder, x: string, linear: Linear): string {
  const bias = g.floats(`${linear.name}.bias`, linear.bias, [linear.outFeatures]);
  return g.node('BiasGelu', [x, bias], {}, { domain: MS_DOMAIN });
}

/** Query, key and value stacked into one [3D, D] Linear (rows: all of Q, then K, then V). */
function packQkv(layer: EncoderLayer): Linear {
  const parts = [layer.query, layer.key, layer.value];
  const weight = new Float32Array(parts.reduce((n, p) => n + p.weight.length, 0));
  const bias = new Float32Array(parts.reduce((n, p) => n + p.bias.length, 0));
  let w = 0;
  let b = 0;
  for (const part of parts) {
    weight.set(part.weight, w);
    bias.set(part.bias, b);
    w += part.weight.length;
    b += part.bias.length;
  }
  const name = layer.query.name.replace(/\.[^.]+$/, '.qkv');
  return { name, weight, bias, inFeatures: layer.query.inFeatures, outFeatures: bias.length };
}
