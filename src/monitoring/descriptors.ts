/**
 * A text's features (TEXT_FEATURES order, types.ts): what it looks like, from the tokens the
 * service computes anyway, and what the model made of it. Runs on every text the model
 * computes, so it allocates nothing beyond the returned array and scans at most
 * DESCRIBE_MAX_CHARS of a text.
 */

/** What the tokenizer measured on a text (ModelTokenizer.encodeMeasured gives it). */
export interface TextMeasurement {
  /** The ids the model reads, [CLS] first and [SEP] last. */
  readonly ids: readonly number[];
  /** Word-pieces before truncation, counted up to the model's max length. */
  readonly wordpieces: number;
  /** The text had more word-pieces than the model reads. */
  readonly truncated: boolean;
}

/**
 * How much of a text the character shares look at, in UTF-16 units: well past what a
 * 512-position model reads (prose runs a few characters a word-piece), so the shares describe
 * what the model saw, while a 4 MB text costs what its first 16 KiB do.
 */
export const DESCRIBE_MAX_CHARS = 16_384;

// Sticky, so each test reads the code point at lastIndex of the text itself: no substring.
const LETTER = /\p{L}/uy;
const UPPER = /\p{Lu}/uy;

/**
 * The first six TEXT_FEATURES of a text: wordpieces, truncated, unknown_share,
 * non_ascii_share, letter_share, upper_share. `unknownId` undefined (a vocabulary with no
 * unknown token): unknown_share is 0.
 */
export function describeText(
  text: string,
  measured: TextMeasurement,
  unknownId: number | undefined,
): number[] {
  const { ids } = measured;
  // ids[0] is [CLS] and the last one [SEP]: the share is of the word-pieces the model reads.
  let unknown = 0;
  if (unknownId !== undefined)
    for (let i = 1; i < ids.length - 1; i++) if (ids[i] === unknownId) unknown++;
  const pieces = ids.length - 2;

  let points = 0;
  let nonAscii = 0;
  let letters = 0;
  let upper = 0;
  const end = Math.min(text.length, DESCRIBE_MAX_CHARS);
  for (let i = 0; i < end; i++) {
    const unit = text.charCodeAt(i);
    points++;
    if (unit < 0x80) {
      // ASCII, the common case, without a regular expression.
      if (unit >= 0x61 && unit <= 0x7a) letters++;
      else if (unit >= 0x41 && unit <= 0x5a) {
        letters++;
        upper++;
      }
      continue;
    }
    nonAscii++;
    LETTER.lastIndex = i;
    if (LETTER.test(text)) {
      letters++;
      UPPER.lastIndex = i;
      if (UPPER.test(text)) upper++;
    }
    // A surrogate pair is one code point: skip its low half.
    if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < end) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
    }
  }
  return [
    measured.wordpieces,
    measured.truncated ? 1 : 0,
    pieces > 0 ? unknown / pieces : 0,
    points > 0 ? nonAscii / points : 0,
    points > 0 ? letters / points : 0,
    letters > 0 ? upper / letters : 0,
  ];
}

/**
 * The prediction features of a text from its class probabilities: confidence (the top
 * probability), positive (1 when the top class is `positiveId`) and margin (top minus the
 * second; the top itself for a one-class model).
 */
export function describePrediction(scores: readonly number[], positiveId: number): number[] {
  let top = -Infinity;
  let second = -Infinity;
  let best = -1;
  for (let i = 0; i < scores.length; i++) {
    const score = scores[i] as number;
    if (score > top) {
      second = top;
      top = score;
      best = i;
    } else if (score > second) second = score;
  }
  if (best < 0) return [0, 0, 0];
  return [top, best === positiveId ? 1 : 0, second === -Infinity ? top : top - second];
}

/**
 * The class the positive rate counts: the one whose label says positive (/pos/i, e.g.
 * POSITIVE, LABEL_POS), else the last class (SST-2's convention: 0 negative, 1 positive).
 */
export function positiveClassId(labels: readonly string[]): number {
  const named = labels.findIndex((label) => /pos/i.test(label));
  return named >= 0 ? named : labels.length - 1;
}
