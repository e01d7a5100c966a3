import { binIndex } from './bin-edges.js';

/**
 * How often the model was right at each confidence, measured on the reference: per bin of
 * the confidence feature (the same edges), the share of its texts the model got right
 * (histogram binning, Zadrozny & Elkan 2001). With no labels, each bin's mean confidence:
 * the model taken at its word.
 */
export interface Calibration {
  readonly method: 'reference_accuracy' | 'identity';
  /** The confidence feature's edges. */
  readonly edges: readonly number[];
  /** Per bin: the expected accuracy of a text whose confidence falls there. */
  readonly accuracy: readonly number[];
  /** Reference texts per bin. */
  readonly texts: readonly number[];
}

/**
 * The calibration from the reference's confidences and, when labelled, whether each
 * prediction was right. A bin with no texts (only the empty bin of a one-value confidence)
 * expects its own lower edge.
 */
export function buildCalibration(
  edges: readonly number[],
  confidence: ArrayLike<number>,
  correct?: ArrayLike<boolean>,
): Calibration {
  const bins = edges.length + 1;
  const texts = new Array<number>(bins).fill(0);
  const sums = new Array<number>(bins).fill(0);
  for (let i = 0; i < confidence.length; i++) {
    const value = confidence[i] as number;
    const bin = binIndex(edges, value);
    texts[bin] = (texts[bin] as number) + 1;
    sums[bin] = (sums[bin] as number) + (correct ? (correct[i] ? 1 : 0) : value);
  }
  const accuracy = texts.map((count, bin) =>
    count > 0 ? (sums[bin] as number) / count : (edges[bin - 1] ?? edges[0] ?? 1),
  );
  return { method: correct ? 'reference_accuracy' : 'identity', edges, accuracy, texts };
}

/**
 * The accuracy a window of predictions should have, from its confidence histogram alone
 * (`counts` per calibration bin, read from `offset`): Σ share × calibrated accuracy. The idea
 * behind NannyML's confidence-based performance estimation (CBPE): with calibrated scores the
 * expected accuracy follows from them, so a drop shows before any label arrives. Undefined
 * with no counts.
 */
export function estimatedAccuracy(
  counts: ArrayLike<number>,
  calibration: Calibration,
  offset = 0,
): number | undefined {
  let total = 0;
  let sum = 0;
  for (let bin = 0; bin < calibration.accuracy.length; bin++) {
    const count = counts[offset + bin] as number;
    total += count;
    sum += count * (calibration.accuracy[bin] as number);
  }
  return total > 0 ? sum / total : undefined;
}
