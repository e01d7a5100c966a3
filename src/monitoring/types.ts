/**
 * The monitor's vocabulary, shared by what computes features (descriptors, the profile
 * builder), what watches them (the monitor), and what shows them (/monitoring, /metrics, the
 * shipped Prometheus rules and Grafana dashboard). Names here are part of the public surface:
 * the rules in deploy/prometheus select on them.
 */

/**
 * Per-text features, in this order in a text's feature vector. The representation's
 * components (`representation_pc1` …) follow them when the graph has the [CLS] output and the
 * profile has a projection.
 */
export const TEXT_FEATURES = [
  /** Word-pieces of the text before truncation, counted up to the model's max length. */
  'wordpieces',
  /** 1 when the text was cut to the model's max length, else 0. */
  'truncated',
  /** Share of the word-pieces that are the unknown token. */
  'unknown_share',
  /** Share of the text's code points outside ASCII. */
  'non_ascii_share',
  /** Share of the text's code points that are letters (Unicode \p{L}). */
  'letter_share',
  /** Share of the letters that are upper case (0 when there are none). */
  'upper_share',
  /** The top class probability. */
  'confidence',
  /** 1 when the top class is the positive one, else 0 (the positive rate is its mean). */
  'positive',
  /** Top probability minus the second one. */
  'margin',
] as const;

export type TextFeatureName = (typeof TEXT_FEATURES)[number];

/** The one per-request feature: how many texts a request carried. */
export const REQUEST_FEATURE = 'texts_per_request';

/** Name of the k-th (1-based) component of the [CLS] representation's projection. */
export const representationFeature = (k: number): string => `representation_pc${k}`;

/**
 * A text's feature values in TEXT_FEATURES order, then its representation components. What
 * the cache stores beside the scores, so a hit is observed without tokenizing again.
 */
export type FeatureVector = readonly number[];

/**
 * Shares below this are raised to it before PSI, in /monitoring and in the PromQL recording
 * rules alike, so an empty bin costs a finite amount and both computations agree.
 */
export const PSI_MIN_SHARE = 1e-4;

/** One feature's binning and its reference distribution. */
export interface FeatureReference {
  /**
   * Ascending cut points; `edges.length + 1` bins. A value v falls in bin i when
   * edges[i-1] <= v < edges[i] (bin 0: v < edges[0]; the last bin: v >= the last edge).
   */
  readonly edges: readonly number[];
  /** Reference share per bin (sums to 1). */
  readonly shares: readonly number[];
}

export type MonitorStatus = 'ok' | 'warming_up' | 'drift' | 'alert';
