import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeSafetensors, type Tensor } from '../../../src/model/convert/index.js';
import { SeededRandom } from '../../../src/model/convert/seeded-random.js';
import type { BertConfig } from './reference-bert.js';

export const VOCAB = 50;
export const POSITIONS = 24;
export const LABELS = 3;

const dirs: string[] = [];

/** Deletes every folder `tinyBert` made; pass to `after`. */
export function removeTinyBerts(): void {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/**
 * A BertForSequenceClassification folder with seeded random weights, in transformers' names.
 * Weights are N(0, 0.3²), large enough that a wrong wiring moves the logits visibly.
 */
export function tinyBert(
  config: BertConfig,
  seed: number,
): { dir: string; tensors: Map<string, Tensor> } {
  const random = new SeededRandom(seed);
  const tensors = new Map<string, Tensor>();
  const add = (name: string, shape: number[], mean = 0) =>
    tensors.set(name, {
      shape,
      data: random.normals(
        shape.reduce((a, b) => a * b, 1),
        0.3,
        mean,
      ),
    });
  const H = config.hidden_size;
  const linear = (name: string, inF: number, outF: number) => {
    add(`${name}.weight`, [outF, inF]);
    add(`${name}.bias`, [outF]);
  };
  const norm = (name: string) => {
    add(`${name}.weight`, [H], 1);
    add(`${name}.bias`, [H]);
  };
  add('bert.embeddings.word_embeddings.weight', [VOCAB, H]);
  add('bert.embeddings.position_embeddings.weight', [POSITIONS, H]);
  add('bert.embeddings.token_type_embeddings.weight', [2, H]);
  norm('bert.embeddings.LayerNorm');
  for (let l = 0; l < config.num_hidden_layers; l++) {
    const p = `bert.encoder.layer.${l}`;
    for (const part of ['query', 'key', 'value']) linear(`${p}.attention.self.${part}`, H, H);
    linear(`${p}.attention.output.dense`, H, H);
    norm(`${p}.attention.output.LayerNorm`);
    linear(`${p}.intermediate.dense`, H, config.intermediate_size);
    linear(`${p}.output.dense`, config.intermediate_size, H);
    norm(`${p}.output.LayerNorm`);
  }
  linear('bert.pooler.dense', H, H);
  linear('classifier', H, LABELS);

  const dir = mkdtempSync(join(tmpdir(), 'tiny-bert-'));
  dirs.push(dir);
  const id2label = Object.fromEntries(
    Array.from({ length: LABELS }, (_, i) => [String(i), `LABEL_${i}`]),
  );
  const full = {
    architectures: ['BertForSequenceClassification'],
    model_type: 'bert',
    vocab_size: VOCAB,
    max_position_embeddings: POSITIONS,
    type_vocab_size: 2,
    id2label,
    ...config,
  };
  writeFileSync(join(dir, 'config.json'), JSON.stringify(full));
  writeSafetensors(join(dir, 'model.safetensors'), tensors);
  return { dir, tensors };
}
