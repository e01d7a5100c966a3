import binomial from '@stdlib/random-base-binomial';
import { psi } from './psi.js';

/** Simulated windows per threshold: the 99th percentile is then the 5th largest of 500. */
export const BOOTSTRAP_SAMPLES = 500;
/** Which percentile of PSI on unchanged data counts as "more than chance". */
export const BOOTSTRAP_QUANTILE = 0.99;
/** Window sizes share a threshold within a factor of 2^(1/4) (computed at the smaller size). */
const BUCKETS_PER_DOUBLING = 4;
const SEED = 20_240_601;

/**
 * The window size a threshold is computed for: `size` rounded down to the grid 2^(k/4), so a
 * growing window needs a new simulation only every 19% or so, and the threshold used is the
 * one of a slightly smaller window, a little higher: it errs on the side of quiet.
 */
export function sizeBucket(size: number): number {
  if (size < 1) return 0;
  const k = Math.floor(Math.log2(size) * BUCKETS_PER_DOUBLING + 1e-9);
  return Math.max(1, Math.floor(2 ** (k / BUCKETS_PER_DOUBLING)));
}

/**
 * PSI thresholds that account for the window's size. Fixed bands (0.1 / 0.25) cry wolf on
 * small windows: a window of 100 texts from the reference's own distribution over 10 bins
 * has an expected PSI near (bins − 1)/100 from sampling alone. This simulates what PSI looks
 * like when nothing has changed (a parametric bootstrap): draw a window of `windowSize` texts
 * and a reference of `referenceSize` from the reference shares (multinomial, as sequential
 * binomials), compute their PSI, repeat, and take the 99th percentile. Seeded, so a given
 * feature, window and reference size always get the same threshold; cached per feature and
 * window-size bucket, since one simulation costs some tens of milliseconds.
 */
export class SizeAwarePsi {
  private readonly cache = new Map<string, number>();

  constructor(
    private readonly samples = BOOTSTRAP_SAMPLES,
    private readonly quantile = BOOTSTRAP_QUANTILE,
  ) {}

  /**
   * The threshold for `feature` (its reference `shares`, from `referenceSize` texts; Infinity
   * or 0 when the reference's own noise is not to be counted) at a window of `windowSize`.
   */
  threshold(
    feature: string,
    shares: readonly number[],
    referenceSize: number,
    windowSize: number,
  ): number {
    const bucket = sizeBucket(windowSize);
    if (bucket === 0) return Infinity;
    const key = `${feature}\u0000${bucket}`;
    let value = this.cache.get(key);
    if (value === undefined) {
      value = simulatedPsiQuantile(shares, referenceSize, bucket, this.samples, this.quantile);
      this.cache.set(key, value);
    }
    return value;
  }
}

/** The `quantile` of PSI between two multinomial samples drawn from `shares`. */
export function simulatedPsiQuantile(
  shares: readonly number[],
  referenceSize: number,
  windowSize: number,
  samples = BOOTSTRAP_SAMPLES,
  quantile = BOOTSTRAP_QUANTILE,
  seed = SEED,
): number {
  const draw = binomial.factory({ seed });
  const live = new Float64Array(shares.length);
  const reference = new Float64Array(shares.length);
  const values = new Float64Array(samples);
  const withReferenceNoise = Number.isFinite(referenceSize) && referenceSize > 0;
  for (let s = 0; s < samples; s++) {
    multinomial(draw, windowSize, shares, live);
    if (withReferenceNoise) {
      multinomial(draw, referenceSize, shares, reference);
      for (let i = 0; i < reference.length; i++)
        reference[i] = (reference[i] as number) / referenceSize;
      values[s] = psi(live, reference);
    } else values[s] = psi(live, shares);
  }
  values.sort();
  // The empirical quantile (type 7, as numpy's default), interpolated between order statistics.
  const position = quantile * (samples - 1);
  const below = Math.floor(position);
  const above = Math.min(below + 1, samples - 1);
  return (
    (values[below] as number) +
    (position - below) * ((values[above] as number) - (values[below] as number))
  );
}

/** Counts of `n` draws over bins of probabilities `shares`, into `out`. */
function multinomial(
  draw: (n: number, p: number) => number,
  n: number,
  shares: readonly number[],
  out: Float64Array,
): void {
  let left = n;
  let mass = 1;
  const last = shares.length - 1;
  for (let i = 0; i < last; i++) {
    const share = shares[i] as number;
    // All that is left when the bins after this one hold nothing: rounding must not leak
    // draws into a bin the reference never saw.
    const p = mass - share <= 1e-12 ? 1 : Math.min(1, share / mass);
    // p = 1 and p = 0 need no draw (and stdlib's sampler walks all n trials at p = 1).
    const count = left === 0 || p <= 0 ? 0 : p >= 1 ? left : draw(left, p);
    out[i] = count;
    left -= count;
    mass -= share;
  }
  out[last] = left;
}
