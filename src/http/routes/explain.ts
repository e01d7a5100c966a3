import type { FastifyInstance } from 'fastify';
import type { TextClassifier } from '../../engine/classifier.js';
import { explainTexts } from '../../engine/explain.js';
import { NO_STAGES, type StageTimes } from '../../engine/stage-times.js';
import { explainRequestSchema, ExplainResponse, type ExplainRequest } from '../explain-schema.js';
import { whenClientLeaves } from '../client-gone.js';
import { MODEL_ROUTE_ERRORS } from '../schemas.js';
import { sizeGuard } from '../size-guard.js';
import { setTimingHeaders, withTimingHeaders } from '../timing-headers.js';

/**
 * Longest text /explain accepts when MAX_TEXT_CHARS sets none. Each variant copies its text,
 * so without a bound one 4 MB text would cost EXPLAIN_MAX_WORDS copies of itself (and as
 * many cache keys hashed over it): an answer must not cost that much more than its request.
 */
export const EXPLAIN_MAX_TEXT_CHARS = 20_000;

/** What the explain route needs from the layers below. */
export interface ExplainDeps {
  readonly classifier: TextClassifier;
  readonly limits: {
    /** EXPLAIN_MAX_TEXTS. */
    readonly maxTexts: number;
    /** EXPLAIN_MAX_WORDS. */
    readonly maxWords: number;
    /** MAX_TEXT_CHARS (0: none, and EXPLAIN_MAX_TEXT_CHARS applies). */
    readonly maxTextChars: number;
  };
}

/**
 * `POST /explain`: per text, its prediction and each word's contribution to each class, by
 * leave-one-word-out occlusion through the same classifier as /predict (engine/explain.ts).
 */
export function explainRoute(app: FastifyInstance, deps: ExplainDeps): void {
  const { classifier, limits } = deps;
  const maxTextChars =
    limits.maxTextChars > 0
      ? Math.min(limits.maxTextChars, EXPLAIN_MAX_TEXT_CHARS)
      : EXPLAIN_MAX_TEXT_CHARS;
  const body = explainRequestSchema({ ...limits, maxTextChars });
  app.post<{ Body: ExplainRequest }>(
    '/explain',
    {
      preValidation: sizeGuard(body),
      schema: {
        summary: 'Explain each prediction: how much each word moved each class score',
        description:
          "Leave-one-word-out occlusion: a word's contribution to a class is the class's score " +
          'on the whole text minus its score on the text without that word (and the whitespace ' +
          'after it), so /predict on that text reproduces it. Words are runs of non-whitespace, ' +
          'punctuation attached; offsets index the text as sent (UTF-16 code units). There is ' +
          'no completeness: contributions do not sum to score(text) − score(""), except for a ' +
          "one-word text; a word's contributions over the classes sum to 0. Costs one forward " +
          'pass per word considered, plus one, each cached like a prediction.',
        tags: ['model'],
        body,
        response: { 200: withTimingHeaders(ExplainResponse), ...MODEL_ROUTE_ERRORS },
      },
    },
    async (request, reply) => {
      const texts = request.body.text;
      // An explanation is one classify call (its texts and their variants): its stage times
      // are the explanation's.
      let stages: StageTimes = NO_STAGES;
      const timed: TextClassifier = {
        classify: async (...args) => {
          const classification = await classifier.classify(...args);
          stages = classification.stages;
          return classification;
        },
      };
      const explanations = await explainTexts(
        timed,
        texts,
        { maxWords: limits.maxWords },
        whenClientLeaves(reply),
      );
      setTimingHeaders(reply, stages);
      return {
        method: 'occlusion' as const,
        explanations: explanations.map(({ prediction, words, totalWords }) => ({
          prediction,
          words,
          total_words: totalWords,
          truncated: totalWords > words.length,
        })),
      };
    },
  );
}
