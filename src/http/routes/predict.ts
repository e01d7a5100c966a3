import type { FastifyInstance } from 'fastify';
import type { TextClassifier } from '../../engine/classifier.js';
import type { Metrics } from '../../metrics.js';
import {
  ErrorBody,
  PredictResponse,
  predictRequestSchema,
  type PredictRequest,
  type RequestLimits,
} from '../schemas.js';
import { sizeGuard } from '../size-guard.js';

/** What the predict route needs from the layers below. */
export interface PredictDeps {
  readonly classifier: TextClassifier;
  /** Answer with `x-cache-hits` (CACHE_HITS_HEADER). */
  readonly cacheHitsHeader: boolean;
  readonly limits: RequestLimits;
  readonly metrics: Metrics;
}

/** `POST /predict`: the seed's contract; the body is validated by the schema before we run. */
export function predictRoute(app: FastifyInstance, deps: PredictDeps): void {
  const { classifier, metrics } = deps;
  const body = predictRequestSchema(deps.limits);
  app.post<{ Body: PredictRequest }>(
    '/predict',
    {
      preValidation: sizeGuard(body),
      schema: {
        summary: 'Classify the sentiment of each text',
        tags: ['model'],
        body,
        response: {
          200: PredictResponse,
          413: ErrorBody,
          422: ErrorBody,
          429: ErrorBody,
          503: ErrorBody,
          504: ErrorBody,
        },
      },
    },
    async (request, reply) => {
      const texts = request.body.text;
      metrics.texts.inc(texts.length);
      // The client closing its connection before the answer drops its queued work.
      const { predictions, cacheHits } = await classifier.classify(texts, (abandon) =>
        reply.raw.once('close', () => {
          if (!reply.raw.writableFinished) abandon();
        }),
      );
      if (deps.cacheHitsHeader) reply.header('x-cache-hits', String(cacheHits));
      return { predictions };
    },
  );
}
