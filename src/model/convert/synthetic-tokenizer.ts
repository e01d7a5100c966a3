import { SPECIAL_TOKENS, wordPieceTokenizerJson } from '../wordpiece.js';

/** The special tokens every BERT-style WordPiece vocabulary starts with, in bert-base order. */
const SPECIALS = SPECIAL_TOKENS;

// Enough real words that a generated tiny model tokenises test sentences into words rather
// than all [UNK]s or single letters.
const WORDS = (
  'the a an and or but not no is was are be it this that of to in on for with as at by ' +
  'i you he she we they my your good great bad awful love hate movie film story fun boring ' +
  'best worst very really so too charming dull funny sad happy'
).split(' ');

/**
 * A WordPiece vocabulary of exactly `size` tokens: specials, single characters (so any
 * lower-case ASCII text tokenises without [UNK]), their `##` continuations, common words,
 * then filler tokens. Line i of vocab.txt is token id i.
 */
export function syntheticVocab(size: number): string[] {
  const chars = [...'abcdefghijklmnopqrstuvwxyz0123456789.,!?\'"-'];
  const tokens = [...SPECIALS, ...chars, ...chars.map((c) => `##${c}`), ...WORDS];
  if (size < tokens.length) {
    throw new RangeError(
      `a synthetic vocabulary needs at least ${tokens.length} tokens, asked for ${size}`,
    );
  }
  for (let i = 0; tokens.length < size; i++) tokens.push(`[unused${i}]`);
  return tokens;
}

/** A Hugging Face `tokenizer.json` for `vocab`, configured as bert-base-uncased's is. */
export function tokenizerJson(vocab: readonly string[]): object {
  return wordPieceTokenizerJson(vocab.join('\n'), {});
}
