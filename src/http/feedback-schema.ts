import { Type, type Static } from '@sinclair/typebox';
import type { RequestLimits } from './schemas.js';

/**
 * The body of POST /feedback: `{"items": [{"text": …, "label": …}, …]}`, each item's true
 * class given as a label of the model's `id2label` or as its class id (`label_id`), exactly
 * one of the two. Limits as /predict's (MAX_TEXTS_PER_REQUEST items, MAX_TEXT_CHARS), so the
 * same size guard and errors apply; an unknown label is a 422 naming the allowed ones.
 */
export function feedbackRequestSchema(limits: RequestLimits, labels: readonly string[]) {
  const item = Type.Object(
    {
      text:
        limits.maxTextChars > 0 ? Type.String({ maxLength: limits.maxTextChars }) : Type.String(),
      label: Type.Optional(
        Type.String({ enum: [...labels], description: `One of ${labels.join(', ')}.` }),
      ),
      label_id: Type.Optional(
        Type.Integer({
          minimum: 0,
          maximum: labels.length - 1,
          description: `The class id (0 to ${labels.length - 1}), as id2label numbers them.`,
        }),
      ),
    },
    {
      additionalProperties: false,
      oneOf: [{ required: ['label'] }, { required: ['label_id'] }],
      title: 'FeedbackItem',
      description: 'A text and its true class: `label` or `label_id`, exactly one.',
    },
  );
  return Type.Object(
    {
      items: Type.Array(item, {
        maxItems: limits.maxTexts,
        description:
          `Labelled texts, at most ${limits.maxTexts}. Each is classified as /predict would ` +
          '(from the cache when it is there) and its outcome joins the live-accuracy window; ' +
          'no text is stored.',
      }),
    },
    {
      additionalProperties: false,
      title: 'FeedbackRequest',
      examples: [
        {
          items: [
            { text: 'I love you.', label: labels.at(-1) },
            { text: 'I hate you.', label_id: 0 },
          ],
        },
      ],
    },
  );
}
export type FeedbackRequest = Static<ReturnType<typeof feedbackRequestSchema>>;

const Outcome = Type.Object(
  {
    predicted: Type.String({ description: "The service's prediction: the most probable class." }),
    actual: Type.String({ description: 'The class the feedback gave.' }),
    correct: Type.Boolean(),
  },
  { additionalProperties: false, title: 'FeedbackOutcome' },
);

export const FeedbackResponse = Type.Object(
  {
    recorded: Type.Integer({ minimum: 0, description: 'Outcomes added to the window.' }),
    outcomes: Type.Array(Outcome, { description: 'One per item, in order.' }),
  },
  {
    title: 'FeedbackResponse',
    examples: [
      {
        recorded: 2,
        outcomes: [
          { predicted: 'POSITIVE', actual: 'POSITIVE', correct: true },
          { predicted: 'NEGATIVE', actual: 'NEGATIVE', correct: true },
        ],
      },
    ],
  },
);
export type FeedbackResponse = Static<typeof FeedbackResponse>;
