import type { FeatureReference } from './types.js';

/** Bins per feature when the reference has enough distinct values: deciles. */
export const DEFAULT_BINS = 10;

/** Features that only take 0 or 1: one edge, at 0.5. */
export const BINARY_FEATURES: ReadonlySet<string> = new Set(['truncated', 'positive']);

/**
 * Cut points at the reference's quantiles (up to `bins` - 1 of them), chosen among the values
 * themselves and above the smallest one, ties merged: with the bin rule of FeatureReference
 * (a value equal to an edge goes up), every bin then holds reference data, and a feature that
 * is mostly one value (most texts have no [UNK]) gets that value as a bin of its own.
 *
 * A reference that holds one value only gets one edge just above it: the bin above holds no
 * reference data, so any live text there shows as drift (SST-2 is lower-cased: one text in
 * capitals is worth seeing). That is the one case where a bin is empty by design.
 */
export function quantileEdges(values: ArrayLike<number>, bins = DEFAULT_BINS): number[] {
  const sorted = Float64Array.from(values).sort();
  const n = sorted.length;
  if (n === 0) throw new Error('quantile edges of no values');
  const smallest = sorted[0] as number;
  const edges: number[] = [];
  for (let k = 1; k < bins; k++) {
    const candidate = sorted[Math.floor((k * n) / bins)] as number;
    if (candidate > smallest && candidate > (edges.at(-1) ?? -Infinity)) edges.push(candidate);
  }
  if (edges.length === 0) edges.push(justAbove(smallest));
  return edges;
}

/**
 * A hair above `value`: whatever exceeds it goes up, whether the feature counts (word-pieces)
 * or measures a share (0 for a share of none).
 */
function justAbove(value: number): number {
  return value + Math.max(Math.abs(value), 1) * 1e-9;
}

/**
 * The bin `value` falls in (FeatureReference's rule: the number of edges at or below it), by
 * binary search over `count` edges starting at `offset` of a flat array of every feature's.
 */
export function binIndex(
  edges: ArrayLike<number>,
  value: number,
  offset = 0,
  count = edges.length - offset,
): number {
  let low = 0;
  let high = count;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((edges[offset + middle] as number) <= value) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** Share of `values` in each bin of `edges`. */
export function binShares(values: ArrayLike<number>, edges: readonly number[]): number[] {
  const counts = new Array<number>(edges.length + 1).fill(0);
  for (let i = 0; i < values.length; i++) {
    const bin = binIndex(edges, values[i] as number);
    counts[bin] = (counts[bin] as number) + 1;
  }
  return counts.map((count) => count / values.length);
}

/** A feature's reference from its values: quantile edges (one at 0.5 if binary) and shares. */
export function featureReference(
  name: string,
  values: ArrayLike<number>,
  bins = DEFAULT_BINS,
): FeatureReference {
  const edges = BINARY_FEATURES.has(name) ? [0.5] : quantileEdges(values, bins);
  return { edges, shares: binShares(values, edges) };
}
