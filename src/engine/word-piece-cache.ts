import type { Tokenizer } from '@huggingface/tokenizers';
import { LRUCache } from 'lru-cache';

/**
 * Words whose word-pieces are remembered, as many as Hugging Face's Rust tokenizers keep for
 * BPE. Text repeats a small vocabulary (all 68,000 SST-2 sentences use about 14,600 distinct
 * words), so the LRU keeps the frequent ones, in about 2 MB at most; a stream of texts that
 * are all new words (test/soak.test.ts sends two in each) fills it, and then it stays full.
 */
export const WORD_PIECE_CACHE_WORDS = 10_000;

/**
 * Makes the tokenizer's WordPiece step remember the pieces of each word it has split.
 *
 * @huggingface/tokenizers splits every word afresh, trying each prefix of it against the
 * vocabulary with a new string per try: the largest share of tokenizing a text, itself the
 * largest piece of model work on the event loop (docs/benchmarks.md, "int8"). A word's pieces
 * depend on nothing but the word and the fixed vocabulary (the model's `encode` maps each
 * word on its own and concatenates), so a remembered answer is the same answer:
 * test/engine/word-piece-cache.test.ts checks it on SST-2 and on generated text.
 *
 * Hugging Face's Rust tokenizers keep such a cache for BPE (`utils/cache.rs`); the JavaScript
 * port keeps none, so this wraps its model. Returns false when the model is not one whose
 * `encode` works word by word (then nothing changes).
 */
export function rememberWordPieces(
  tokenizer: Tokenizer,
  maxWords = WORD_PIECE_CACHE_WORDS,
): boolean {
  const model = tokenizer.model;
  if (model === null || model.config.type !== 'WordPiece') return false;
  const split = model.encode.bind(model);
  const known = new LRUCache<string, readonly string[]>({ max: maxWords });
  const remember = (word: string): readonly string[] => {
    const own = split([word]);
    known.set(word, own);
    return own;
  };
  model.encode = (words: string[]): string[] => {
    const pieces: string[] = [];
    for (const word of words) {
      const own = known.get(word) ?? remember(word);
      for (const piece of own) pieces.push(piece);
    }
    return pieces;
  };
  return true;
}
