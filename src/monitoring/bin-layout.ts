import type { FeatureReference } from './types.js';

/**
 * Every monitored feature's bins in flat typed arrays, so counting a text is a binary search
 * and an increment per feature, with nothing allocated: feature f's edges are
 * `edges[edgeStart[f] .. edgeStart[f] + edgeCount[f])` and its bins
 * `binStart[f] .. binStart[f] + edgeCount[f]`. With `perRequest`, the last feature is the
 * per-request one; the others are read from a text's feature vector at their own index.
 */
export class BinLayout {
  readonly edges: Float64Array;
  readonly edgeStart: Int32Array;
  readonly edgeCount: Int32Array;
  readonly binStart: Int32Array;
  /** Bins of all features together. */
  readonly totalBins: number;
  /** Features read from a text's vector (all but the per-request one, when there is one). */
  readonly textFeatures: number;
  /** Reference shares, flat, in bin order. */
  readonly shares: Float64Array;

  constructor(
    /** Feature names: the text features in vector order, then the per-request feature. */
    readonly names: readonly string[],
    references: ReadonlyMap<string, FeatureReference>,
    /** Whether the last name is the per-request feature (false: text features only). */
    readonly perRequest = true,
  ) {
    const count = names.length;
    this.edgeStart = new Int32Array(count);
    this.edgeCount = new Int32Array(count);
    this.binStart = new Int32Array(count);
    let edges = 0;
    let bins = 0;
    names.forEach((name, f) => {
      const reference = references.get(name);
      if (!reference) throw new Error(`no reference for feature ${name}`);
      this.edgeStart[f] = edges;
      this.edgeCount[f] = reference.edges.length;
      this.binStart[f] = bins;
      edges += reference.edges.length;
      bins += reference.edges.length + 1;
    });
    this.edges = new Float64Array(edges);
    this.shares = new Float64Array(bins);
    names.forEach((name, f) => {
      const reference = references.get(name) as FeatureReference;
      this.edges.set(reference.edges, this.edgeStart[f]);
      this.shares.set(reference.shares, this.binStart[f]);
    });
    this.totalBins = bins;
    this.textFeatures = perRequest ? count - 1 : count;
  }

  /** Bins of feature f. */
  bins(f: number): number {
    return (this.edgeCount[f] as number) + 1;
  }
}
