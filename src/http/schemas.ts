import { Type, type Static } from '@sinclair/typebox';

/** Limits the request schema enforces (from Config), documented in the OpenAPI document. */
export interface RequestLimits {
  readonly maxTexts: number;
  /** MAX_TEXT_CHARS; 0: no per-text limit (the schema sets no maxLength). */
  readonly maxTextChars: number;
}

/** The seed's request body: `{"text": [...]}`, no other key (pydantic `extra='forbid'`). */
export function predictRequestSchema(limits: RequestLimits) {
  return Type.Object(
    {
      text: Type.Array(
        limits.maxTextChars > 0 ? Type.String({ maxLength: limits.maxTextChars }) : Type.String(),
        {
          maxItems: limits.maxTexts,
          description:
            `Texts to classify, at most ${limits.maxTexts}, ` +
            (limits.maxTextChars > 0
              ? `each at most ${limits.maxTextChars} characters.`
              : 'each of any length the body limit allows (no per-text limit is set).') +
            ' A text longer than the model reads (512 tokens) is truncated, never refused.',
        },
      ),
    },
    {
      additionalProperties: false,
      title: 'PredictRequest',
      examples: [{ text: ['I hate you.', 'I love you.'] }],
    },
  );
}
export type PredictRequest = Static<ReturnType<typeof predictRequestSchema>>;

export const LabelScore = Type.Object(
  { label: Type.String(), score: Type.Number({ minimum: 0, maximum: 1 }) },
  { additionalProperties: false, title: 'LabelScore' },
);

export const PredictResponse = Type.Object(
  {
    predictions: Type.Array(Type.Array(LabelScore), {
      description:
        'One list per input text, in input order; each holds every class in class-id order.',
    }),
  },
  {
    title: 'PredictResponse',
    examples: [
      {
        predictions: [
          [
            { label: 'NEGATIVE', score: 0.9995 },
            { label: 'POSITIVE', score: 0.0005 },
          ],
          [
            { label: 'NEGATIVE', score: 0.0002 },
            { label: 'POSITIVE', score: 0.9998 },
          ],
        ],
      },
    ],
  },
);
export type PredictResponse = Static<typeof PredictResponse>;

export const HealthResponse = Type.Object(
  { status: Type.Literal('healthy') },
  { title: 'HealthResponse' },
);

/** FastAPI's validation error item: where, what, and the machine-readable type. */
export const ErrorItem = Type.Object(
  {
    loc: Type.Array(Type.Union([Type.String(), Type.Integer()])),
    msg: Type.String(),
    type: Type.String(),
    input: Type.Optional(Type.Unknown()),
    ctx: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  },
  { title: 'ValidationError' },
);
export type ErrorItem = Static<typeof ErrorItem>;

/** FastAPI's `HTTPValidationError`, used for 413, 415, 422, 429, 503 and 504 alike. */
export const ErrorBody = Type.Object(
  { detail: Type.Array(ErrorItem) },
  { title: 'HTTPValidationError' },
);

/** The refusals every route that classifies may answer, in the `detail` shape. */
export const MODEL_ROUTE_ERRORS = {
  413: ErrorBody,
  422: ErrorBody,
  429: ErrorBody,
  503: ErrorBody,
  504: ErrorBody,
} as const;
