import { Type, type Static } from '@sinclair/typebox';
import { LabelScore, predictRequestSchema, type RequestLimits } from './schemas.js';

/** What POST /explain accepts: /predict's body, with its own (smaller) limits. */
export interface ExplainRequestLimits extends RequestLimits {
  /** EXPLAIN_MAX_WORDS, for the description. */
  readonly maxWords: number;
}

/**
 * The body of POST /explain: `{"text": [...]}` as /predict's, so its validation, size guard
 * and errors are /predict's, with EXPLAIN_MAX_TEXTS as the list's limit.
 */
export function explainRequestSchema(limits: ExplainRequestLimits) {
  const text = predictRequestSchema(limits).properties.text;
  return Type.Object(
    {
      text: {
        ...text,
        description:
          `Texts to explain, at most ${limits.maxTexts} (EXPLAIN_MAX_TEXTS); of each, the first ` +
          `${limits.maxWords} words (EXPLAIN_MAX_WORDS) are explained. ` +
          (limits.maxTextChars > 0 ? `Each at most ${limits.maxTextChars} characters.` : ''),
      },
    },
    {
      additionalProperties: false,
      title: 'ExplainRequest',
      examples: [{ text: ['I hate this movie'] }],
    },
  );
}
export type ExplainRequest = Static<ReturnType<typeof explainRequestSchema>>;

const WordContribution = Type.Object(
  {
    word: Type.String({ description: 'The word as written: a run of non-whitespace.' }),
    start: Type.Integer({ minimum: 0, description: 'Offset of its first character (UTF-16).' }),
    end: Type.Integer({ minimum: 0, description: 'Offset just past its last character.' }),
    contributions: Type.Record(Type.String(), Type.Number({ minimum: -1, maximum: 1 }), {
      description:
        'Per class: score(text) − score(text without this word). Positive: the word raised it.',
    }),
  },
  { additionalProperties: false, title: 'WordContribution' },
);

const TextExplanation = Type.Object(
  {
    prediction: Type.Array(LabelScore, { description: "The text's prediction, as /predict's." }),
    words: Type.Array(WordContribution, { description: 'The words considered, in text order.' }),
    total_words: Type.Integer({ minimum: 0, description: 'How many words the text has.' }),
    truncated: Type.Boolean({
      description: 'More words than EXPLAIN_MAX_WORDS: only the first ones are in `words`.',
    }),
  },
  { additionalProperties: false, title: 'TextExplanation' },
);

export const ExplainResponse = Type.Object(
  {
    method: Type.Literal('occlusion', {
      description:
        'Leave-one-word-out: no completeness, the contributions need not sum to anything.',
    }),
    explanations: Type.Array(TextExplanation, { description: 'One per input text, in order.' }),
  },
  {
    title: 'ExplainResponse',
    examples: [
      {
        method: 'occlusion',
        explanations: [
          {
            prediction: [
              { label: 'NEGATIVE', score: 0.9684 },
              { label: 'POSITIVE', score: 0.0316 },
            ],
            words: [
              {
                word: 'I',
                start: 0,
                end: 1,
                contributions: { NEGATIVE: -0.0116, POSITIVE: 0.0116 },
              },
              { word: 'hate', start: 2, end: 6, contributions: { NEGATIVE: 0.8, POSITIVE: -0.8 } },
              {
                word: 'this',
                start: 7,
                end: 11,
                contributions: { NEGATIVE: 0.0028, POSITIVE: -0.0028 },
              },
              {
                word: 'movie',
                start: 12,
                end: 17,
                contributions: { NEGATIVE: 0.0186, POSITIVE: -0.0186 },
              },
            ],
            total_words: 4,
            truncated: false,
          },
        ],
      },
    ],
  },
);
export type ExplainResponse = Static<typeof ExplainResponse>;
