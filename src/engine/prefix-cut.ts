/**
 * Where a long text can be cut so that tokenizing the part before the cut gives exactly the
 * first ids of the whole text, for BERT's uncased WordPiece as @huggingface/tokenizers runs it
 * (its `Tokenizer.encode_text`, `BertNormalizer`, `BertPreTokenizer`, `WordPieceTokenizer`).
 *
 * A cut at `c` (the prefix is `text.slice(0, c)`) is safe when each step treats the two sides
 * apart:
 * - added tokens ([CLS], [MASK], …) are matched on the raw text: no match may span `c`, so
 *   `text[c]` is a character no added token contains (or lies inside a long run of letters);
 * - the normalizer works per character except in three places: NFD reorders combining marks
 *   (every character cut before is a starter, so marks never move across the cut), the
 *   per-code-point loop (no cut falls between the halves of a surrogate pair) and
 *   `toLowerCase`, whose final sigma looks ahead past case-ignorable characters (`.`, `'`, …)
 *   for a letter: a cut before one of those is refused when a Σ precedes it;
 * - the pre-tokenizer splits at whitespace and at every punctuation mark, and the normalizer
 *   pads CJK ideographs with spaces, so a cut before any of them ends a word in both texts;
 * - a cut inside a word is safe only inside a run of ASCII letters and digits longer than
 *   `max_input_chars_per_word`: WordPiece turns such a word into one [UNK] however long the
 *   rest of it is.
 * Anything else (other spaces, accented letters, emoji, scripts without spaces) is no cut: if a
 * window holds none, the caller grows it, up to tokenizing the whole text.
 */

interface AddedTokenJson {
  content: string;
  normalized?: boolean;
  special?: boolean;
  lstrip?: boolean;
  rstrip?: boolean;
}

/** The parts of a `tokenizer.json` the rules depend on. */
export interface TokenizerJson {
  added_tokens?: AddedTokenJson[];
  normalizer?: { type?: string; lowercase?: boolean; handle_chinese_chars?: boolean } | null;
  pre_tokenizer?: { type?: string } | null;
  model?: { type?: string; max_input_chars_per_word?: number; fuse_unk?: boolean };
}

/** What `lastSafeCut` needs to know of one tokenizer. */
export interface CutRules {
  /** handle_chinese_chars: a BMP CJK ideograph is a word of its own. */
  readonly chineseWords: boolean;
  /** UTF-16 units some added token contains: never cut before one. */
  readonly addedUnits: ReadonlySet<number>;
  /** The added tokens' contents: matched on the raw text, so a text holding one is no cut. */
  readonly addedTokens: readonly string[];
  /** ASCII letters and digits needed on each side of a cut inside a word. */
  readonly wordRun: number;
  /** A run of ASCII letters and digits longer than 2 × wordRun, from its first character. */
  readonly longRun: RegExp;
}

/**
 * The rules for this tokenizer, or undefined when the argument above does not hold for it
 * (another normalizer or model, cased, added tokens matched after normalization or stripping
 * spaces, merged [UNK]s): such a tokenizer always tokenizes the whole text.
 */
export function cutRules(
  json: TokenizerJson,
  config: Record<string, unknown>,
): CutRules | undefined {
  const { normalizer, pre_tokenizer: preTokenizer, model } = json;
  if (normalizer?.type !== 'BertNormalizer' || normalizer.lowercase !== true) return undefined;
  if (preTokenizer?.type !== 'BertPreTokenizer' || model?.type !== 'WordPiece') return undefined;
  if (model.fuse_unk === true) return undefined;
  if (config.remove_space === true || config.do_lowercase_and_remove_accent) return undefined;
  const addedUnits = new Set<number>();
  const addedTokens: string[] = [];
  let longest = 0;
  for (const token of json.added_tokens ?? []) {
    const { content } = token;
    const normalized = token.normalized ?? !(token.special ?? false);
    // Matched on the lowercased text, an uppercase-free token could appear there; stripped
    // spaces or an all-letters token could span a cut.
    if (normalized || token.lstrip || token.rstrip || content === content.toLowerCase()) {
      return undefined;
    }
    if (/^[A-Za-z0-9]*$/.test(content)) return undefined;
    for (let i = 0; i < content.length; i++) addedUnits.add(content.charCodeAt(i));
    addedTokens.push(content);
    longest = Math.max(longest, content.length);
  }
  const wordRun = Math.max((model.max_input_chars_per_word ?? 100) + 1, longest);
  return {
    chineseWords: normalizer.handle_chinese_chars === true,
    addedUnits,
    addedTokens,
    wordRun,
    longRun: new RegExp(`(?<![A-Za-z0-9])[A-Za-z0-9]{${2 * wordRun + 1},}`, 'g'),
  };
}

/** The largest safe cut `c` with 0 < c ≤ end (< text.length), or 0 when there is none. */
export function lastSafeCut(text: string, end: number, rules: CutRules): number {
  const { wordRun } = rules;
  let run = 0; // ASCII letters and digits from c on, counted up to wordRun
  while (run < wordRun - 1 && isAsciiAlnum(text.charCodeAt(end + 1 + run))) run++;
  for (let c = end; c > 0; c--) {
    const unit = text.charCodeAt(c);
    if (isAsciiAlnum(unit)) {
      run = Math.min(run + 1, wordRun);
      if (run < wordRun) continue;
      let j = c - 1;
      while (j >= c - wordRun && isAsciiAlnum(text.charCodeAt(j))) j--;
      if (j < c - wordRun) return c;
      c = j + 1; // every position after j has fewer letters before it: next, try j itself
      continue;
    }
    run = 0;
    if (rules.addedUnits.has(unit)) continue;
    if (unit === 0x20 || unit === 0x09 || unit === 0x0a || unit === 0x0d) return c;
    if (rules.chineseWords && isBmpChineseChar(unit)) return c;
    if (!isAsciiPunctuation(unit)) continue;
    if (!CASE_IGNORABLE.test(text[c] as string)) return c;
    const before = lastNotCaseIgnorable(text, c);
    if (before < 0 || text.charCodeAt(before) !== CAPITAL_SIGMA) return c;
    c = before + 1; // the characters between are case-ignorable and refused for the same Σ
  }
  return 0;
}

/**
 * `text` with every run of ASCII letters and digits longer than 2 × wordRun shortened to its
 * first and last wordRun characters: the same ids. The word holding the run stays one word
 * longer than `max_input_chars_per_word`, so one [UNK]; the characters on each side of the run
 * and of the splice are the same ASCII letters as before, which no added token, combining mark
 * or final sigma can reach across. A 4 MB text without a space costs a few kilobytes.
 */
export function shortenLongWords(text: string, rules: CutRules): string {
  if (text.length <= 2 * rules.wordRun) return text;
  const keep = rules.wordRun;
  return text.replace(rules.longRun, (run) => run.slice(0, keep) + run.slice(run.length - keep));
}

/**
 * When `cut` falls inside a run of ASCII letters and digits with at least wordRun of them
 * before it, `text` with the rest of that run but its last wordRun characters removed: the same
 * ids (as in `shortenLongWords`), and the next window looks past the run instead of into it.
 */
export function skipLongWord(text: string, cut: number, rules: CutRules): string {
  const keep = rules.wordRun;
  for (let i = cut - keep; i < cut; i++) if (!isAsciiAlnum(text.charCodeAt(i))) return text;
  ALNUM_RUN.lastIndex = cut;
  const runEnd = cut + (ALNUM_RUN.exec(text)?.[0].length ?? 0);
  return runEnd - cut > keep ? text.slice(0, cut) + text.slice(runEnd - keep) : text;
}

const ALNUM_RUN = /[A-Za-z0-9]*/y;
const CASE_IGNORABLE = /^\p{Case_Ignorable}$/u;
const CAPITAL_SIGMA = 0x03a3;

/** Index of the last code point before `end` that is not case-ignorable, or -1. */
function lastNotCaseIgnorable(text: string, end: number): number {
  let i = end;
  while (i > 0) {
    let start = i - 1;
    const unit = text.charCodeAt(start);
    if (unit >= 0xdc00 && unit <= 0xdfff && start > 0) {
      const high = text.charCodeAt(start - 1);
      if (high >= 0xd800 && high <= 0xdbff) start--;
    }
    if (!CASE_IGNORABLE.test(text.slice(start, i))) return start;
    i = start;
  }
  return -1;
}

function isAsciiAlnum(unit: number): boolean {
  return (
    (unit >= 0x30 && unit <= 0x39) ||
    (unit >= 0x41 && unit <= 0x5a) ||
    (unit >= 0x61 && unit <= 0x7a)
  );
}

/** The ASCII marks BertPreTokenizer splits off one by one (its PUNCTUATION_REGEX). */
function isAsciiPunctuation(unit: number): boolean {
  return (
    (unit >= 0x21 && unit <= 0x2f) ||
    (unit >= 0x3a && unit <= 0x40) ||
    (unit >= 0x5b && unit <= 0x60) ||
    (unit >= 0x7b && unit <= 0x7e)
  );
}

/**
 * The ideographs BertNormalizer pads with spaces. It tests each UTF-16 unit, so the
 * supplementary ranges of its `is_chinese_char` never match and are no cut here either.
 */
function isBmpChineseChar(unit: number): boolean {
  return (
    (unit >= 0x4e00 && unit <= 0x9fff) ||
    (unit >= 0x3400 && unit <= 0x4dbf) ||
    (unit >= 0xf900 && unit <= 0xfaff)
  );
}
