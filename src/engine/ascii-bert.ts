import type { Tokenizer } from '@huggingface/tokenizers';
import { LRUCache } from 'lru-cache';
import type { CutRules } from './prefix-cut.js';
import { WORD_PIECE_CACHE_WORDS } from './word-piece-cache.js';

/**
 * The ids of a text of printable ASCII (U+0020–U+007E, and tabs and line breaks) as
 * @huggingface/tokenizers gives them for BERT's uncased WordPiece, in one pass over the text;
 * undefined for any other text, which the caller gives to the library.
 */
export type AsciiIds = (text: string) => number[] | undefined;

/**
 * Why this is written here rather than left to the library: the library runs every text
 * through its whole pipeline (added-token splitting, a per-character normalizer loop and
 * regex, a Unicode pre-tokenizer regex, then a string-to-id map per piece), and on this
 * service's hottest path, a cache miss, that was the largest share of the event loop's own work
 * (docs/benchmarks.md, "int8"). For such text each step is the identity or nearly:
 *
 * - `BertNormalizer`: `clean_text` drops controls and maps whitespace to a space (the only
 *   whitespace here is the space, tab, CR and LF, none of them a control to it; the vertical
 *   tab and the form feed are controls, dropped, so a text holding one goes to the library);
 *   `tokenize_chinese_chars` pads CJK ideographs (none); `strip_accents` is NFD then dropping
 *   marks (ASCII is its own NFD, with no marks); `lowercase` is `toLowerCase`.
 * - `BertPreTokenizer`: words are runs of neither whitespace nor punctuation, and each
 *   punctuation mark is a word of its own; in printable ASCII the punctuation of its
 *   PUNCTUATION_REGEX is exactly what is not a letter, a digit or whitespace.
 * - added tokens are matched on the raw text: a text holding one is left to the library.
 * - the words go through the library's own WordPiece model (so `max_input_chars_per_word` and
 *   unknown words are its rules), and their ids are remembered per word, as
 *   word-piece-cache.ts remembers pieces.
 *
 * Only built for a tokenizer whose configuration prefix-cut.ts's `cutRules` accepts (that same
 * pipeline, uncased, added tokens unnormalized and unstripped, no merged [UNK]s): pass its
 * rules, undefined when it refused. test/engine/ascii-bert.test.ts checks the ids against the
 * library's on SST-2, SQuAD and generated ASCII.
 *
 * Must be built before rememberWordPieces wraps the model, so that ASCII words are remembered
 * here only: each cache holds its own words, up to WORD_PIECE_CACHE_WORDS of them, about
 * 2 MB each at most.
 */
export function asciiBertIds(
  tokenizer: Tokenizer,
  rules: CutRules | undefined,
  maxWords = WORD_PIECE_CACHE_WORDS,
): AsciiIds | undefined {
  const model = tokenizer.model;
  const unknownId = model?.unk_token_id;
  if (!rules || !model || model.config.type !== 'WordPiece' || unknownId === undefined) {
    return undefined;
  }
  const { addedTokens } = rules;
  const split: (words: string[]) => string[] = model.encode.bind(model);
  const known = new LRUCache<string, readonly number[]>({ max: maxWords });
  const idsOf = (word: string): readonly number[] => {
    const remembered = known.get(word);
    if (remembered !== undefined) return remembered;
    const ids = split([word]).map((piece) => tokenizer.token_to_id(piece) ?? unknownId);
    known.set(word, ids);
    return ids;
  };
  return (text) => {
    if (!PRINTABLE_ASCII.test(text)) return undefined;
    for (const added of addedTokens) if (text.includes(added)) return undefined;
    const lower = text.toLowerCase();
    const out: number[] = [];
    let start = -1; // where the current word began, or -1 between words
    for (let i = 0; i < lower.length; i++) {
      const unit = lower.charCodeAt(i);
      if ((unit >= 0x30 && unit <= 0x39) || (unit >= 0x61 && unit <= 0x7a)) {
        if (start < 0) start = i;
        continue;
      }
      if (start >= 0) {
        for (const id of idsOf(lower.slice(start, i))) out.push(id);
        start = -1;
      }
      if (unit !== 0x20 && unit !== 0x09 && unit !== 0x0a && unit !== 0x0d) {
        for (const id of idsOf(lower[i] as string)) out.push(id);
      }
    }
    if (start >= 0) for (const id of idsOf(lower.slice(start))) out.push(id);
    return out;
  };
}

const PRINTABLE_ASCII = /^[\t\n\r\x20-\x7e]*$/;
