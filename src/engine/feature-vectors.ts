import type { Scores } from '../cache/cache.js';
import {
  describePrediction,
  describeText,
  type TextMeasurement,
} from '../monitoring/descriptors.js';
import { project, type Projection } from '../monitoring/projection.js';
import { TEXT_FEATURES, type FeatureVector } from '../monitoring/types.js';

/**
 * What the classifier hands the monitor: one request's texts, each as its feature vector
 * (src/monitoring/monitor.ts implements it). It belongs here, with its one caller, so the
 * engine depends on an interface and the monitor on nothing of the engine.
 */
export interface TrafficObserver {
  /** One request's texts, cached and computed alike, once the request has its answer. */
  observe(vectors: readonly FeatureVector[]): void;
}

/**
 * How a computed text becomes its feature vector (src/monitoring/types.ts: TEXT_FEATURES,
 * then the projection's components), in the two steps the classifier has the parts in: what
 * its tokens and characters say, once it is tokenized, then what the model made of it, once
 * its row is back. A cache hit replays the stored vector instead.
 */
export class FeatureVectors {
  /** Values in every vector: what a cache entry holds beside its scores. */
  readonly length: number;

  constructor(
    private readonly options: {
      /** The tokenizer's unknown token (ModelTokenizer.unknownId). */
      readonly unknownId: number | undefined;
      /** The class the positive rate counts (descriptors.ts positiveClassId). */
      readonly positiveId: number;
      /**
       * The reference's projection of the [CLS] representation; only when the graph gives
       * the representation (service.ts checks), since every row must then carry one.
       */
      readonly projection: Projection | undefined;
    },
  ) {
    this.length = TEXT_FEATURES.length + (options.projection?.components.length ?? 0);
  }

  /** The features known once a text is tokenized (the first six TEXT_FEATURES). */
  ofText(text: string, measured: TextMeasurement): number[] {
    return describeText(text, measured, this.options.unknownId);
  }

  /**
   * The text's whole vector: `ofText`'s part, its prediction's features and the projection
   * of its representation. The representation is a view into its batch's buffer: read here,
   * never kept.
   */
  complete(
    ofText: readonly number[],
    scores: Scores,
    representation: Float32Array | undefined,
  ): FeatureVector {
    const vector = [...ofText, ...describePrediction(scores, this.options.positiveId)];
    const { projection } = this.options;
    if (projection) {
      if (!representation) throw new Error('a batch row came back without its representation');
      for (const component of project(representation, projection)) vector.push(component);
    }
    return vector;
  }
}
