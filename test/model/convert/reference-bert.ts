import type { Tensor } from '../../../src/model/convert/index.js';

/** The config keys of a BertForSequenceClassification the reference reads. */
export interface BertConfig {
  hidden_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  intermediate_size: number;
  hidden_act: 'gelu' | 'relu';
  layer_norm_eps: number;
}

/** The logits of one sequence by `bertForward`. */
export function bertLogits(
  config: BertConfig,
  tensors: ReadonlyMap<string, Tensor>,
  ids: readonly number[],
): number[] {
  return bertForward(config, tensors, ids).logits;
}

/**
 * transformers' BertForSequenceClassification forward pass for one unpadded sequence
 * (token_type_ids all 0), written straight from modeling_bert.py in Float64, one loop per
 * equation: the independent yardstick the converted BERT graph is held to. `cls` is the last
 * layer's hidden state at [CLS], the vector the pooler reads.
 */
export function bertForward(
  config: BertConfig,
  tensors: ReadonlyMap<string, Tensor>,
  ids: readonly number[],
): { cls: number[]; logits: number[] } {
  const w = (name: string) => {
    const tensor = tensors.get(name);
    if (!tensor) throw new Error(`reference: no ${name}`);
    return tensor.data;
  };
  const H = config.hidden_size;
  const heads = config.num_attention_heads;
  const d = H / heads;
  const S = ids.length;
  const linear = (x: number[][], name: string) => {
    const weight = w(`${name}.weight`);
    const bias = w(`${name}.bias`);
    const out = bias.length;
    return x.map((row) =>
      Array.from({ length: out }, (_, o) => {
        let sum = bias[o]!;
        for (let i = 0; i < row.length; i++) sum += row[i]! * weight[o * row.length + i]!;
        return sum;
      }),
    );
  };
  const layerNorm = (x: number[][], name: string) => {
    const gamma = w(`${name}.weight`);
    const beta = w(`${name}.bias`);
    return x.map((row) => {
      const mean = row.reduce((a, b) => a + b) / row.length;
      const variance = row.reduce((a, b) => a + (b - mean) ** 2, 0) / row.length;
      return row.map(
        (v, i) => ((v - mean) / Math.sqrt(variance + config.layer_norm_eps)) * gamma[i]! + beta[i]!,
      );
    });
  };
  const add = (a: number[][], b: number[][]) => a.map((row, i) => row.map((v, j) => v + b[i]![j]!));
  const act = (v: number) =>
    config.hidden_act === 'relu' ? Math.max(0, v) : 0.5 * v * (1 + erf(v / Math.SQRT2));

  const word = w('bert.embeddings.word_embeddings.weight');
  const position = w('bert.embeddings.position_embeddings.weight');
  const tokenType = w('bert.embeddings.token_type_embeddings.weight');
  let x = ids.map((id, t) =>
    Array.from({ length: H }, (_, j) => word[id * H + j]! + position[t * H + j]! + tokenType[j]!),
  );
  x = layerNorm(x, 'bert.embeddings.LayerNorm');

  for (let l = 0; l < config.num_hidden_layers; l++) {
    const p = `bert.encoder.layer.${l}`;
    const q = linear(x, `${p}.attention.self.query`);
    const k = linear(x, `${p}.attention.self.key`);
    const v = linear(x, `${p}.attention.self.value`);
    const context = x.map(() => new Array<number>(H).fill(0));
    for (let h = 0; h < heads; h++) {
      for (let i = 0; i < S; i++) {
        const scores = Array.from({ length: S }, (_, j) => {
          let dot = 0;
          for (let e = 0; e < d; e++) dot += q[i]![h * d + e]! * k[j]![h * d + e]!;
          return dot / Math.sqrt(d);
        });
        const max = Math.max(...scores);
        const exp = scores.map((s) => Math.exp(s - max));
        const total = exp.reduce((a, b) => a + b);
        for (let j = 0; j < S; j++) {
          for (let e = 0; e < d; e++)
            context[i]![h * d + e]! += (exp[j]! / total) * v[j]![h * d + e]!;
        }
      }
    }
    x = layerNorm(
      add(linear(context, `${p}.attention.output.dense`), x),
      `${p}.attention.output.LayerNorm`,
    );
    const inner = linear(x, `${p}.intermediate.dense`).map((row) => row.map(act));
    x = layerNorm(add(linear(inner, `${p}.output.dense`), x), `${p}.output.LayerNorm`);
  }
  const pooled = linear([x[0]!], 'bert.pooler.dense').map((row) => row.map(Math.tanh));
  return { cls: x[0]!, logits: linear(pooled, 'classifier')[0]! };
}

/** erf to ~1e-15 (Taylor series near 0, continued fraction in the tails): JS has no Math.erf. */
export function erf(x: number): number {
  const z = Math.abs(x);
  let result: number;
  if (z < 3) {
    let term = z;
    let sum = z;
    for (let n = 1; n < 200 && Math.abs(term) > 1e-17; n++) {
      term *= (-z * z) / n;
      sum += term / (2 * n + 1);
    }
    result = (2 / Math.sqrt(Math.PI)) * sum;
  } else {
    // erfc(z) = exp(-z²)/√π · 1/(z + 1/2/(z + 1/(z + 3/2/(z + …))))
    let fraction = z;
    for (let n = 60; n >= 1; n--) fraction = z + n / 2 / fraction;
    result = 1 - Math.exp(-z * z) / Math.sqrt(Math.PI) / fraction;
  }
  return x < 0 ? -result : result;
}
