import { copyFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { BUNDLED_MODEL_DIR } from '../../config.js';
import { TOKENIZER_FILES } from '../model-files.js';
import { convertModel, type ConvertOptions } from './convert-model.js';
import { writeSafetensors, type Tensor } from './safetensors.js';
import { SeededRandom } from './seeded-random.js';
import { syntheticVocab, tokenizerJson } from './synthetic-tokenizer.js';
import { writeFileAtomic } from '../write-file-atomic.js';

/** The shape of a generated DistilBERT, in its config.json terms. */
export interface ModelShape {
  /** Hidden size (`dim`). */
  readonly dim: number;
  readonly layers: number;
  readonly heads: number;
  /** FFN inner size (`hidden_dim`). */
  readonly ffn: number;
  /** 30522 copies the bundled bert-base-uncased vocabulary; other sizes are synthesised. */
  readonly vocab: number;
  readonly positions: number;
  readonly labels: number;
  readonly seed: number;
}

/** Options beyond the shape. */
export interface GenerateOptions extends ModelShape, ConvertOptions {
  /**
   * Standard deviation of the random weights (transformers initialises with 0.02). Tests use
   * larger values so that a wrong wiring changes the logits visibly.
   */
  readonly initStd?: number;
}

/** Named shapes: `tiny` for tests, `base` matches distilbert-base-uncased. */
export const PRESETS: Readonly<Record<'tiny' | 'base', ModelShape>> = {
  tiny: { dim: 32, layers: 2, heads: 2, ffn: 64, vocab: 256, positions: 64, labels: 2, seed: 42 },
  base: {
    dim: 768,
    layers: 6,
    heads: 12,
    ffn: 3072,
    vocab: 30522,
    positions: 512,
    labels: 2,
    seed: 42,
  },
};

const BERT_UNCASED_VOCAB = 30522;

/**
 * Writes a complete DistilBertForSequenceClassification folder with seeded random weights:
 * config.json, model.safetensors, tokenizer files and the converted ONNX graph(s). The same
 * options always give the same weights.
 */
export async function generateModel(
  dir: string,
  options: GenerateOptions,
): Promise<{ written: string[] }> {
  const written: string[] = [];
  const write = (file: string, data: string) => {
    writeFileAtomic(join(dir, file), data);
    written.push(file);
  };
  write('config.json', `${JSON.stringify(distilBertConfig(options), null, 2)}\n`);
  writeSafetensors(
    join(dir, 'model.safetensors'),
    randomDistilBert(options, options.initStd ?? 0.02),
  );
  written.push('model.safetensors');

  const bundled = options.vocab === BERT_UNCASED_VOCAB && bundledTokenizerPresent();
  if (bundled) {
    for (const file of TOKENIZER_FILES) {
      copyFileSync(join(BUNDLED_MODEL_DIR, file), join(dir, file));
      written.push(file);
    }
  } else {
    const vocab = syntheticVocab(options.vocab);
    write('vocab.txt', `${vocab.join('\n')}\n`);
    write('tokenizer.json', JSON.stringify(tokenizerJson(vocab)));
    const specials = {
      cls_token: '[CLS]',
      mask_token: '[MASK]',
      pad_token: '[PAD]',
      sep_token: '[SEP]',
      unk_token: '[UNK]',
    };
    write('special_tokens_map.json', `${JSON.stringify(specials, null, 2)}\n`);
    const config = {
      ...specials,
      do_lower_case: true,
      model_max_length: options.positions,
      tokenizer_class: 'DistilBertTokenizer',
    };
    write('tokenizer_config.json', `${JSON.stringify(config, null, 2)}\n`);
  }
  const converted = await convertModel(dir, options);
  return { written: [...written, ...converted.written] };
}

function distilBertConfig(shape: ModelShape): Record<string, unknown> {
  const names =
    shape.labels === 2
      ? ['NEGATIVE', 'POSITIVE']
      : Array.from({ length: shape.labels }, (_, i) => `LABEL_${i}`);
  return {
    activation: 'gelu',
    architectures: ['DistilBertForSequenceClassification'],
    dim: shape.dim,
    hidden_dim: shape.ffn,
    id2label: Object.fromEntries(names.map((n, i) => [String(i), n])),
    label2id: Object.fromEntries(names.map((n, i) => [n, i])),
    max_position_embeddings: shape.positions,
    model_type: 'distilbert',
    n_heads: shape.heads,
    n_layers: shape.layers,
    pad_token_id: 0,
    sinusoidal_pos_embds: false,
    vocab_size: shape.vocab,
    generated: { seed: shape.seed, by: 'sentiment-api generate' },
  };
}

/** Every tensor `readDistilBert` expects, N(0, std²); LayerNorm scales around 1. */
function randomDistilBert(shape: ModelShape, std: number): Map<string, Tensor> {
  const random = new SeededRandom(shape.seed);
  const tensors = new Map<string, Tensor>();
  const add = (name: string, dims: number[], mean = 0) =>
    tensors.set(name, {
      shape: dims,
      data: random.normals(
        dims.reduce((a, b) => a * b, 1),
        std,
        mean,
      ),
    });
  const linear = (name: string, inF: number, outF: number) => {
    add(`${name}.weight`, [outF, inF]);
    add(`${name}.bias`, [outF]);
  };
  const norm = (name: string) => {
    add(`${name}.weight`, [shape.dim], 1);
    add(`${name}.bias`, [shape.dim]);
  };
  add('distilbert.embeddings.word_embeddings.weight', [shape.vocab, shape.dim]);
  add('distilbert.embeddings.position_embeddings.weight', [shape.positions, shape.dim]);
  norm('distilbert.embeddings.LayerNorm');
  for (let i = 0; i < shape.layers; i++) {
    const p = `distilbert.transformer.layer.${i}`;
    for (const part of ['q_lin', 'k_lin', 'v_lin', 'out_lin'])
      linear(`${p}.attention.${part}`, shape.dim, shape.dim);
    norm(`${p}.sa_layer_norm`);
    linear(`${p}.ffn.lin1`, shape.dim, shape.ffn);
    linear(`${p}.ffn.lin2`, shape.ffn, shape.dim);
    norm(`${p}.output_layer_norm`);
  }
  linear('pre_classifier', shape.dim, shape.dim);
  linear('classifier', shape.dim, shape.labels);
  return tensors;
}

/** True when the bundled model (its bert-base-uncased tokenizer) is there to copy from. */
function bundledTokenizerPresent(): boolean {
  return TOKENIZER_FILES.every((f) => existsSync(join(BUNDLED_MODEL_DIR, f)));
}
