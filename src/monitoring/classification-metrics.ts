/** Accuracy and the positive class's precision, recall and F1 (macro averages past 2 classes). */
export interface ClassMetrics {
  readonly accuracy: number;
  readonly precision: number;
  readonly recall: number;
  readonly f1: number;
}

/**
 * The metrics of a confusion matrix, `confusion[actual * classes + predicted]` = outcomes.
 * Two classes: precision, recall and F1 of `positiveId` (what "precision" means for SST-2).
 * More: their unweighted means over the classes (macro). A class never predicted has
 * precision 0, as scikit-learn's zero_division=0; undefined with no outcomes at all.
 */
export function classMetrics(
  confusion: ArrayLike<number>,
  classes: number,
  positiveId: number,
): ClassMetrics | undefined {
  let total = 0;
  let correct = 0;
  for (let a = 0; a < classes; a++)
    for (let p = 0; p < classes; p++) {
      const count = confusion[a * classes + p] as number;
      total += count;
      if (a === p) correct += count;
    }
  if (total === 0) return undefined;
  const perClass = (c: number): [number, number, number] => {
    let predicted = 0;
    let actual = 0;
    for (let k = 0; k < classes; k++) {
      predicted += confusion[k * classes + c] as number;
      actual += confusion[c * classes + k] as number;
    }
    const hits = confusion[c * classes + c] as number;
    const precision = predicted > 0 ? hits / predicted : 0;
    const recall = actual > 0 ? hits / actual : 0;
    const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
    return [precision, recall, f1];
  };
  let precision: number;
  let recall: number;
  let f1: number;
  if (classes === 2) [precision, recall, f1] = perClass(positiveId);
  else {
    precision = recall = f1 = 0;
    for (let c = 0; c < classes; c++) {
      const [p, r, f] = perClass(c);
      precision += p / classes;
      recall += r / classes;
      f1 += f / classes;
    }
  }
  return { accuracy: correct / total, precision, recall, f1 };
}
