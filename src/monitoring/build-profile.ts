import { featureReference } from './bin-edges.js';
import { buildCalibration } from './calibration.js';
import { classMetrics } from './classification-metrics.js';
import { PROFILE_FORMAT, type ReferenceProfile } from './profile.js';
import { DEFAULT_COMPONENTS, fitProjection, project, type Projection } from './projection.js';
import {
  REQUEST_FEATURE,
  TEXT_FEATURES,
  representationFeature,
  type FeatureVector,
} from './types.js';

/** What a profile is computed from: per text its features, per request its size. */
export interface ProfileInput {
  /** The data file's name (recorded as is: pass a base name, not a machine's path). */
  readonly data: string;
  /** Class labels in class-id order. */
  readonly labels: readonly string[];
  readonly positiveId: number;
  /** Per text, its TEXT_FEATURES values (descriptors.ts), in that order. */
  readonly vectors: readonly FeatureVector[];
  /**
   * Per text, the [CLS] representation when the graph gives one: a projection is fitted on
   * them (PCA) and representation_pc1 … become features. Each row is copied when needed.
   */
  readonly representations?: readonly ArrayLike<number>[];
  /** Components of the projection (default 3). */
  readonly components?: number;
  /**
   * Texts in each request the texts came in (texts_per_request's reference); undefined when
   * the data had no requests (a flat file): the profile then has no texts_per_request.
   */
  readonly textsPerRequest: readonly number[] | undefined;
  /** Per text, the predicted class id; with `actual`, the reference's metrics. */
  readonly predicted?: readonly number[];
  /** Per text, its label's class id: a labelled profile (metrics, calibrated accuracy). */
  readonly actual?: readonly number[];
  /** The model's fingerprint. */
  readonly model?: string;
  readonly createdAt?: Date;
}

/**
 * A reference profile from per-text features (statistics only: no text is kept): every
 * feature's quantile bins and shares (bin-edges.ts), the projection of the representation
 * when given, the metrics and the calibration when labelled (else the identity calibration:
 * the model's confidence taken at its word). Also how the monitor learns a reference from
 * its first texts, when no profile is given.
 */
export function buildProfile(input: ProfileInput): ReferenceProfile {
  const { vectors, labels, actual, predicted } = input;
  if (vectors.length === 0) throw new Error('a profile needs at least one text');
  if (
    actual &&
    (!predicted || actual.length !== vectors.length || predicted.length !== vectors.length)
  )
    throw new Error('labels need a prediction per text');
  const features: ReferenceProfile['features'] = {};
  const column = (index: number): Float64Array =>
    Float64Array.from(vectors, (vector) => vector[index] as number);
  const add = (name: string, values: ArrayLike<number>): void => {
    const { edges, shares } = featureReference(name, values);
    features[name] = { edges: [...edges], shares: [...shares] };
  };
  TEXT_FEATURES.forEach((name, index) => add(name, column(index)));

  let projection: Projection | undefined;
  const { representations } = input;
  if (representations && representations.length === vectors.length && vectors.length > 1) {
    projection = fitProjection(representations, input.components ?? DEFAULT_COMPONENTS);
    const projected = representations.map((row) => project(row, projection as Projection));
    projection.components.forEach((_, k) => {
      const values = Float64Array.from(projected, (row) => row[k] as number);
      add(representationFeature(k + 1), values);
    });
  }
  const { textsPerRequest } = input;
  if (textsPerRequest) add(REQUEST_FEATURE, textsPerRequest);

  const confidence = column(TEXT_FEATURES.indexOf('confidence'));
  const confidenceEdges = features.confidence?.edges ?? [];
  const correct = actual && predicted ? actual.map((id, i) => id === predicted[i]) : undefined;
  const calibration = buildCalibration(confidenceEdges, confidence, correct);
  let metrics: ReferenceProfile['metrics'];
  if (actual && predicted) {
    const confusion = new Float64Array(labels.length * labels.length);
    actual.forEach((id, i) => {
      const cell = id * labels.length + (predicted[i] as number);
      confusion[cell] = (confusion[cell] as number) + 1;
    });
    metrics = classMetrics(confusion, labels.length, input.positiveId);
  }
  return {
    format: PROFILE_FORMAT,
    source: {
      data: input.data,
      texts: vectors.length,
      ...(textsPerRequest ? { requests: textsPerRequest.length } : {}),
      labelled: metrics !== undefined,
      createdAt: (input.createdAt ?? new Date()).toISOString(),
      ...(input.model ? { model: input.model } : {}),
    },
    labels: [...labels],
    positiveLabel: labels[input.positiveId] as string,
    features,
    ...(projection
      ? {
          projection: {
            mean: [...projection.mean],
            components: projection.components.map((c) => [...c]),
          },
        }
      : {}),
    ...(metrics ? { metrics } : {}),
    calibration: {
      method: calibration.method,
      edges: [...calibration.edges],
      accuracy: [...calibration.accuracy],
      texts: [...calibration.texts],
    },
  };
}
