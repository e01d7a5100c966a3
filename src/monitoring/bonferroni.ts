/**
 * The per-test significance level that keeps the chance of any false alarm among `tests`
 * features at most `familyAlpha` (Bonferroni): every feature is tested at each evaluation,
 * and a dozen tests at 0.05 each would flag one on unchanged data about every other time.
 */
export function bonferroniAlpha(familyAlpha: number, tests: number): number {
  return tests > 0 ? familyAlpha / tests : familyAlpha;
}
