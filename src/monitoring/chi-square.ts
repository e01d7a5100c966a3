import gammainc from '@stdlib/math-base-special-gammainc';

/** A chi-square test of homogeneity of two histograms over the same bins, and its effect size. */
export interface ChiSquareResult {
  readonly statistic: number;
  /** Bins that hold data in either histogram, minus one. */
  readonly degreesOfFreedom: number;
  /** Upper tail of the chi-square distribution at the statistic; 1 with no degree of freedom. */
  readonly pValue: number;
  /** Cramér's V of the 2 × bins table, sqrt(statistic / N): 0 same shares, 1 disjoint. */
  readonly cramersV: number;
}

/**
 * Pearson's chi-square test that two histograms (the live window's counts and the reference's,
 * shares × its texts) come from one distribution: the 2 × B contingency table, expected
 * counts from its margins (scipy.stats.chi2_contingency without Yates' correction). Chosen
 * over Kolmogorov–Smirnov because the window keeps histograms, not values: it runs on the
 * very bins PSI and the PromQL rules use, it holds for the discrete features (KS does not:
 * ties), and as a two-sample test it counts the reference's own sampling noise, which a
 * goodness-of-fit test against fixed shares would take for drift. Bins empty in both are left
 * out. The p-value is the regularized upper incomplete gamma Q(df/2, x/2), computed directly
 * (stdlib) rather than as 1 − CDF, so small p-values keep their digits.
 */
export function chiSquareHomogeneity(
  live: ArrayLike<number>,
  reference: ArrayLike<number>,
  liveOffset = 0,
  referenceOffset = 0,
  bins = reference.length - referenceOffset,
): ChiSquareResult {
  let liveTotal = 0;
  let referenceTotal = 0;
  for (let i = 0; i < bins; i++) {
    liveTotal += live[liveOffset + i] as number;
    referenceTotal += reference[referenceOffset + i] as number;
  }
  const total = liveTotal + referenceTotal;
  if (liveTotal === 0 || referenceTotal === 0)
    return { statistic: 0, degreesOfFreedom: 0, pValue: 1, cramersV: 0 };
  let statistic = 0;
  let columns = 0;
  for (let i = 0; i < bins; i++) {
    const a = live[liveOffset + i] as number;
    const b = reference[referenceOffset + i] as number;
    const column = a + b;
    if (column === 0) continue;
    columns++;
    const expectedLive = (liveTotal * column) / total;
    const expectedReference = (referenceTotal * column) / total;
    statistic +=
      (a - expectedLive) ** 2 / expectedLive + (b - expectedReference) ** 2 / expectedReference;
  }
  const degreesOfFreedom = columns - 1;
  const pValue =
    degreesOfFreedom > 0 ? gammainc(statistic / 2, degreesOfFreedom / 2, true, true) : 1;
  return { statistic, degreesOfFreedom, pValue, cramersV: Math.sqrt(statistic / total) };
}
