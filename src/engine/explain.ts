import type { LabelScore, OnAbandon, TextClassifier } from './classifier.js';

/** A word of the user's text: as written, and where it is (UTF-16 offsets, as `slice`). */
export interface TextWord {
  readonly word: string;
  readonly start: number;
  readonly end: number;
}

/** A word and how much it moved each class's score: score(text) − score(text without it). */
export interface WordContribution extends TextWord {
  readonly contributions: Readonly<Record<string, number>>;
}

/** The explanation of one text. */
export interface TextExplanation {
  /** The prediction for the whole text, exactly as `classify` gives it. */
  readonly prediction: readonly LabelScore[];
  /** The words considered, in text order. */
  readonly words: readonly WordContribution[];
  /** How many words the text has; more than `words.length` when it was cut at `maxWords`. */
  readonly totalWords: number;
}

/** The cost bound of one explanation request. */
export interface ExplainLimits {
  /** EXPLAIN_MAX_WORDS: only a text's first this many words are occluded. */
  readonly maxWords: number;
}

/**
 * A text's words: runs of non-whitespace, punctuation kept attached ("movie." is one word).
 * Attached, because a word is then what the user would select to delete, and removing it
 * never leaves a stray mark behind; the tokenizer splits punctuation off on its own anyway.
 */
export function splitWords(text: string): TextWord[] {
  return [...text.matchAll(/\S+/g)].map((match) => ({
    word: match[0],
    start: match.index,
    end: match.index + match[0].length,
  }));
}

/**
 * The text with one word removed, and the whitespace after it (before it, for the last word),
 * so "I hate this movie" without "hate" is "I this movie": the text a user would type without
 * that word, and a plain string any client can send to /predict to check the contribution.
 */
export function withoutWord(text: string, word: TextWord): string {
  const after = /^\s*/.exec(text.slice(word.end))?.[0].length ?? 0;
  if (word.end + after < text.length || word.start === 0) {
    return text.slice(0, word.start) + text.slice(word.end + after);
  }
  const before = /\s*$/.exec(text.slice(0, word.start))?.[0].length ?? 0;
  return text.slice(0, word.start - before);
}

/**
 * Leave-one-word-out occlusion (Zeiler & Fergus 2014, applied to words as in Li et al., 2016,
 * "Understanding Neural Networks through Representation Erasure"): each word's contribution to
 * a class is the class's score on the whole text minus its score on the text without that
 * word. Positive: the word pushed the class up.
 *
 * Every variant is just another text for the same classifier, in one `classify` call with the
 * texts themselves, so it is cached, coalesced and batched like any prediction, and the
 * queue admits the whole explanation or refuses it (429) as it does a request.
 *
 * Occlusion has no completeness axiom: the contributions do not sum to score(text) −
 * score(""), except for a one-word text (words interact; removing two changes the score by
 * more or less than the two removals apart). What holds per word is that its contributions
 * over the classes sum to 0, since each side of the difference is a softmax.
 */
export async function explainTexts(
  classifier: TextClassifier,
  texts: readonly string[],
  limits: ExplainLimits,
  onAbandon?: OnAbandon,
): Promise<TextExplanation[]> {
  const perText = texts.map((text) => {
    const all = splitWords(text);
    return { text, all, words: all.slice(0, limits.maxWords) };
  });
  const variants = perText.flatMap(({ text, words }) => words.map((w) => withoutWord(text, w)));
  // Variants are texts nobody sent: the monitor does not watch them (nor the request).
  const { predictions } = await classifier.classify([...texts, ...variants], onAbandon, {
    observe: false,
  });
  let next = texts.length;
  return perText.map(({ all, words }, index) => {
    const prediction = predictions[index] as readonly LabelScore[];
    return {
      prediction,
      totalWords: all.length,
      words: words.map((word) => {
        const occluded = predictions[next++] as readonly LabelScore[];
        const contributions: Record<string, number> = {};
        prediction.forEach(({ label, score }, id) => {
          contributions[label] = score - (occluded[id] as LabelScore).score;
        });
        return { ...word, contributions };
      }),
    };
  });
}
