import type { Checkpoint } from './checkpoint.js';
import { parseActivation } from './distilbert.js';
import type { EncoderLayer, EncoderSpec } from './encoder-spec.js';

/**
 * Maps a `BertForSequenceClassification` checkpoint onto the encoder spec, following
 * transformers' `modeling_bert.py`. The exported graph takes no token_type_ids (the service
 * classifies single sentences, where they are all zero), so row 0 of the token-type
 * embeddings is folded into every position embedding. The head is pooler dense + tanh on
 * [CLS], then classifier.
 */
export function readBert(checkpoint: Checkpoint): EncoderSpec {
  const hidden = checkpoint.int('hidden_size');
  const heads = checkpoint.int('num_attention_heads');
  const ffn = checkpoint.int('intermediate_size');
  const layerCount = checkpoint.int('num_hidden_layers');
  const vocab = checkpoint.int('vocab_size');
  const positions = checkpoint.int('max_position_embeddings');
  const typeVocab = checkpoint.number('type_vocab_size', 2);
  const activation = parseActivation(checkpoint.config.hidden_act ?? 'gelu', 'hidden_act');

  const layers: EncoderLayer[] = [];
  for (let i = 0; i < layerCount; i++) {
    const p = `bert.encoder.layer.${i}`;
    layers.push({
      query: checkpoint.linear(`${p}.attention.self.query`, hidden, hidden),
      key: checkpoint.linear(`${p}.attention.self.key`, hidden, hidden),
      value: checkpoint.linear(`${p}.attention.self.value`, hidden, hidden),
      attentionOutput: checkpoint.linear(`${p}.attention.output.dense`, hidden, hidden),
      attentionNorm: checkpoint.norm(`${p}.attention.output.LayerNorm`, hidden),
      intermediate: checkpoint.linear(`${p}.intermediate.dense`, hidden, ffn),
      output: checkpoint.linear(`${p}.output.dense`, ffn, hidden),
      outputNorm: checkpoint.norm(`${p}.output.LayerNorm`, hidden),
    });
  }
  const position = checkpoint.tensor('bert.embeddings.position_embeddings.weight', [
    positions,
    hidden,
  ]);
  const tokenType = checkpoint.tensor('bert.embeddings.token_type_embeddings.weight', [
    typeVocab,
    hidden,
  ]);
  const folded = new Float32Array(position.data);
  for (let p = 0; p < positions; p++) {
    for (let d = 0; d < hidden; d++) folded[p * hidden + d]! += tokenType.data[d]!;
  }
  return {
    architecture: 'BertForSequenceClassification',
    hidden,
    heads,
    activation,
    layerNormEps: checkpoint.number('layer_norm_eps', 1e-12),
    embeddings: {
      word: checkpoint.tensor('bert.embeddings.word_embeddings.weight', [vocab, hidden]),
      position: { shape: position.shape, data: folded },
      norm: checkpoint.norm('bert.embeddings.LayerNorm', hidden),
    },
    layers,
    pooler: { dense: checkpoint.linear('bert.pooler.dense', hidden, hidden), activation: 'tanh' },
    classifier: checkpoint.linear('classifier', hidden, checkpoint.numLabels()),
  };
}
