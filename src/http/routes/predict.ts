import type { FastifyInstance } from 'fastify';
import type { TextClassifier } from '../../engine/classifier.js';
import type { Metrics } from '../../metrics.js';
import {
  MODEL_ROUTE_ERRORS,
  PredictResponse,
  predictRequestSchema,
  type PredictRequest,
  type RequestLimits,
} from '../schemas.js';
import { whenClientLeaves } from '../client-gone.js';
import { sizeGuard } from '../size-guard.js';
import { setTimingHeaders, withTimingHeaders } from '../timing-headers.js';

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
        response: { 200: withTimingHeaders(PredictResponse), ...MODEL_ROUTE_ERRORS },
      },
    },
    async (request, reply) => {
      const texts = request.body.text;
      metrics.texts.inc(texts.length);
      const { predictions, cacheHits, stages } = await classifier.classify(
        texts,
        whenClientLeaves(reply),
      );
      if (deps.cacheHitsHeader) reply.header('x-cache-hits', String(cacheHits));
      setTimingHeaders(reply, stages);
      return { predictions };
    },
  );
}
