import type { FastifyInstance } from 'fastify';
import type { TextClassifier } from '../../engine/classifier.js';
import { whenClientLeaves } from '../client-gone.js';
import { refuseWhenMonitorOff } from '../monitor-off.js';
import {
  FeedbackResponse,
  feedbackRequestSchema,
  type FeedbackRequest,
} from '../feedback-schema.js';
import { ErrorBody, MODEL_ROUTE_ERRORS, type RequestLimits } from '../schemas.js';
import { sizeGuard } from '../size-guard.js';

/** Where labelled outcomes go (src/monitoring/monitor.ts implements it). */
export interface OutcomeObserver {
  /** One labelled outcome: the class predicted, the true one, the scores predicted. */
  observeOutcome(predicted: number, actual: number, scores: readonly number[]): void;
}

/** What the feedback route needs from the layers below. */
export interface FeedbackDeps {
  readonly classifier: TextClassifier;
  /** The model's labels in class-id order (`label` is one of them, `label_id` an index). */
  readonly labels: readonly string[];
  /** /predict's limits: the same number of items and text length. */
  readonly limits: RequestLimits;
  /** Undefined with MONITOR=0: the route answers 404 monitor_off. */
  readonly outcomes: OutcomeObserver | undefined;
}

/** The most probable class (the first of equals, as the scores' order is the class ids'). */
function argmax(scores: readonly number[]): number {
  let best = 0;
  for (let id = 1; id < scores.length; id++)
    if ((scores[id] as number) > (scores[best] as number)) best = id;
  return best;
}

/**
 * `POST /feedback`: labelled texts for live accuracy. Each text's prediction is what the
 * service answers for it now (the cache's when it holds the text, else computed again by the
 * same classifier): nothing of the text is stored, only the outcome joins the window. The
 * feedback texts are not traffic: the monitor's drift windows do not see them. All items or
 * none: an invalid item, or a prediction that fails, records nothing.
 */
export function feedbackRoute(app: FastifyInstance, deps: FeedbackDeps): void {
  const { classifier, labels, outcomes } = deps;
  const body = feedbackRequestSchema(deps.limits, labels);
  app.post<{ Body: FeedbackRequest }>(
    '/feedback',
    {
      preValidation: [refuseWhenMonitorOff(outcomes), sizeGuard(body)],
      schema: {
        summary: 'Report the true class of texts: live accuracy and the retraining threshold',
        description:
          'For each item the service finds what it predicts for the text (from the cache, or ' +
          'computed again; no text is stored) and adds the outcome to the live-accuracy window ' +
          "that GET /monitoring reports. An unknown label is a 422 naming the model's labels. " +
          'With MONITOR=0: 404 `monitor_off`.',
        tags: ['monitoring'],
        body,
        response: {
          200: FeedbackResponse,
          404: { ...ErrorBody, description: 'The monitor is off (`monitor_off`)' },
          ...MODEL_ROUTE_ERRORS,
        },
      },
    },
    async (request, reply) => {
      const { items } = request.body;
      const { predictions } = await classifier.classify(
        items.map((item) => item.text),
        whenClientLeaves(reply),
        { observe: false },
      );
      const sink = outcomes as OutcomeObserver;
      const answered = items.map((item, index) => {
        const scores = (predictions[index] ?? []).map(({ score }) => score);
        const predicted = argmax(scores);
        // The schema allows exactly one of the two, a label of the model or a class id.
        const actual =
          item.label === undefined ? (item.label_id as number) : labels.indexOf(item.label);
        return { scores, predicted, actual };
      });
      for (const { predicted, actual, scores } of answered)
        sink.observeOutcome(predicted, actual, scores);
      return {
        recorded: answered.length,
        outcomes: answered.map(({ predicted, actual }) => ({
          predicted: labels[predicted] as string,
          actual: labels[actual] as string,
          correct: predicted === actual,
        })),
      };
    },
  );
}
