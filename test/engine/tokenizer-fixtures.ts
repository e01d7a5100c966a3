/** Tokenizers the tokenizer tests share: the bundled model's, and one that is not WordPiece. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { BUNDLED_MODEL_DIR } from '../../src/config.js';
import type { TokenizerJson } from '../../src/engine/prefix-cut.js';

/** The bundled model's `tokenizer.json`. */
export const bundledJson = JSON.parse(
  readFileSync(join(BUNDLED_MODEL_DIR, 'tokenizer.json'), 'utf8'),
) as TokenizerJson;

/** The bundled model's `tokenizer_config.json`. */
export const bundledConfig = JSON.parse(
  readFileSync(join(BUNDLED_MODEL_DIR, 'tokenizer_config.json'), 'utf8'),
) as Record<string, unknown>;

/** A fresh tokenizer of the bundled model, as the library builds it. */
export const bundledTokenizer = (): Tokenizer =>
  new Tokenizer(bundledJson as object, bundledConfig);

/** A two-letter BPE tokenizer: a model that is not WordPiece. */
export function bpeTokenizer(): Tokenizer {
  return new Tokenizer(
    {
      model: { type: 'BPE', vocab: { a: 0, b: 1, ab: 2 }, merges: ['a b'] },
      normalizer: null,
      pre_tokenizer: null,
      post_processor: null,
      decoder: null,
      added_tokens: [],
    },
    {},
  );
}
