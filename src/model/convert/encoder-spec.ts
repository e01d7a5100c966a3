import type { Tensor } from './safetensors.js';

/**
 * A `torch.nn.Linear` as transformers stores it: `weight` is [out, in] row-major, so the
 * layer computes x · weightᵀ + bias.
 */
export interface Linear {
  /** The checkpoint name of the weight, for error messages and initializer names. */
  readonly name: string;
  readonly weight: Float32Array;
  readonly bias: Float32Array;
  readonly inFeatures: number;
  readonly outFeatures: number;
}

/** LayerNorm scale and shift, both [hidden]. */
export interface Norm {
  readonly gamma: Float32Array;
  readonly beta: Float32Array;
}

/** One post-LN transformer block: BERT's and DistilBERT's blocks are the same computation. */
export interface EncoderLayer {
  readonly query: Linear;
  readonly key: Linear;
  readonly value: Linear;
  readonly attentionOutput: Linear;
  readonly attentionNorm: Norm;
  readonly intermediate: Linear;
  readonly output: Linear;
  readonly outputNorm: Norm;
}

/** The hidden-layer non-linearities we can emit; `gelu` is the exact erf form. */
export type Activation = 'gelu' | 'relu';

/**
 * An encoder-only sequence classifier, independent of the checkpoint's naming: what the
 * graph emitters consume. `distilbert.ts` and `bert.ts` map their checkpoints onto it.
 */
export interface EncoderSpec {
  readonly architecture: string;
  readonly hidden: number;
  readonly heads: number;
  readonly activation: Activation;
  readonly layerNormEps: number;
  readonly embeddings: {
    readonly word: Tensor;
    /**
     * [maxPositions, hidden]. For BERT the token-type-0 row is already added in, since the
     * exported graph (like Optimum's for DistilBERT) has no token_type_ids input.
     */
    readonly position: Tensor;
    readonly norm: Norm;
  };
  readonly layers: readonly EncoderLayer[];
  /** Applied to the [CLS] vector: DistilBERT's pre_classifier + ReLU, BERT's pooler + tanh. */
  readonly pooler: { readonly dense: Linear; readonly activation: 'relu' | 'tanh' };
  readonly classifier: Linear;
}
