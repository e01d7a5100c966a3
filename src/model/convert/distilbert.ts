import { ModelLoadError } from '../../errors.js';
import type { Checkpoint } from './checkpoint.js';
import type { Activation, EncoderLayer, EncoderSpec } from './encoder-spec.js';

/**
 * Maps a `DistilBertForSequenceClassification` checkpoint onto the encoder spec, following
 * transformers' `modeling_distilbert.py`: embeddings are word + learned position (no token
 * types), LayerNorm eps is hard-coded to 1e-12 there, and the head is pre_classifier + ReLU
 * on the [CLS] position, then classifier.
 */
export function readDistilBert(checkpoint: Checkpoint): EncoderSpec {
  const hidden = checkpoint.int('dim');
  const heads = checkpoint.int('n_heads');
  const ffn = checkpoint.int('hidden_dim');
  const layerCount = checkpoint.int('n_layers');
  const vocab = checkpoint.int('vocab_size');
  const positions = checkpoint.int('max_position_embeddings');
  const labels = checkpoint.numLabels();
  if (hidden % heads !== 0)
    throw new ModelLoadError(`config.json dim ${hidden} is not divisible by n_heads ${heads}`);
  const activation = parseActivation(checkpoint.config.activation ?? 'gelu', 'activation');

  const layers: EncoderLayer[] = [];
  for (let i = 0; i < layerCount; i++) {
    const p = `distilbert.transformer.layer.${i}`;
    layers.push({
      query: checkpoint.linear(`${p}.attention.q_lin`, hidden, hidden),
      key: checkpoint.linear(`${p}.attention.k_lin`, hidden, hidden),
      value: checkpoint.linear(`${p}.attention.v_lin`, hidden, hidden),
      attentionOutput: checkpoint.linear(`${p}.attention.out_lin`, hidden, hidden),
      attentionNorm: checkpoint.norm(`${p}.sa_layer_norm`, hidden),
      intermediate: checkpoint.linear(`${p}.ffn.lin1`, hidden, ffn),
      output: checkpoint.linear(`${p}.ffn.lin2`, ffn, hidden),
      outputNorm: checkpoint.norm(`${p}.output_layer_norm`, hidden),
    });
  }
  return {
    architecture: 'DistilBertForSequenceClassification',
    hidden,
    heads,
    activation,
    layerNormEps: 1e-12,
    embeddings: {
      word: checkpoint.tensor('distilbert.embeddings.word_embeddings.weight', [vocab, hidden]),
      position: checkpoint.tensor('distilbert.embeddings.position_embeddings.weight', [
        positions,
        hidden,
      ]),
      norm: checkpoint.norm('distilbert.embeddings.LayerNorm', hidden),
    },
    layers,
    pooler: { dense: checkpoint.linear('pre_classifier', hidden, hidden), activation: 'relu' },
    classifier: checkpoint.linear('classifier', hidden, labels),
  };
}

/** transformers' ACT2FN names we can emit exactly; `gelu` there is the erf form. */
export function parseActivation(value: unknown, key: string): Activation {
  if (value === 'gelu' || value === 'relu') return value;
  throw new ModelLoadError(
    `config.json ${key} ${JSON.stringify(value)} is not supported by the converter (supported: "gelu", "relu")`,
  );
}
