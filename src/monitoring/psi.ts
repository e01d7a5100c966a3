import { PSI_MIN_SHARE } from './types.js';

/**
 * Population stability index of a live histogram against reference shares:
 * Σ (live − ref) · ln(live / ref) over the bins, each share first raised to PSI_MIN_SHARE
 * (not renormalized), exactly as the shipped PromQL recording rule computes it, so
 * /monitoring and the fleet view agree on the same counts. `counts` and `shares` are read
 * from `offset` for `bins` entries (the window keeps every feature in one flat array).
 * No counts: 0.
 */
export function psi(
  counts: ArrayLike<number>,
  shares: ArrayLike<number>,
  offset = 0,
  bins = shares.length,
  sharesOffset = 0,
): number {
  let total = 0;
  for (let i = 0; i < bins; i++) total += counts[offset + i] as number;
  if (total === 0) return 0;
  let sum = 0;
  for (let i = 0; i < bins; i++) {
    const live = Math.max((counts[offset + i] as number) / total, PSI_MIN_SHARE);
    const reference = Math.max(shares[sharesOffset + i] as number, PSI_MIN_SHARE);
    sum += (live - reference) * Math.log(live / reference);
  }
  return sum;
}
