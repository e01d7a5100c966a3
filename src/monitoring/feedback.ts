import { classMetrics, type ClassMetrics } from './classification-metrics.js';

/**
 * The last `capacity` labelled outcomes (POST /feedback): what the model predicted, what the
 * label says, and the accuracy the calibration expected of it. A ring of typed arrays and a
 * confusion matrix kept up to date as outcomes arrive and leave, so the live metrics cost
 * classes² to read and nothing is kept of the texts.
 */
export class FeedbackWindow {
  private readonly predicted: Int32Array;
  private readonly actual: Int32Array;
  private readonly expected: Float64Array;
  private readonly confusion: Float64Array;
  private next = 0;
  private size = 0;
  private expectedSum = 0;
  /** Outcomes ever recorded. */
  seen = 0;

  constructor(
    readonly capacity: number,
    private readonly classes: number,
    private readonly positiveId: number,
  ) {
    this.predicted = new Int32Array(capacity);
    this.actual = new Int32Array(capacity);
    this.expected = new Float64Array(capacity);
    this.confusion = new Float64Array(classes * classes);
  }

  /** Outcomes in the window. */
  get outcomes(): number {
    return this.size;
  }

  /**
   * One outcome; `expected` is the calibrated accuracy of the prediction's confidence.
   * Class ids outside the model's are a caller's bug (the route checks labels): RangeError.
   */
  add(predicted: number, actual: number, expected: number): void {
    for (const id of [predicted, actual])
      if (!Number.isInteger(id) || id < 0 || id >= this.classes)
        throw new RangeError(`class id ${id} is not one of the model's ${this.classes}`);
    if (this.capacity === 0) return;
    const slot = this.next;
    if (this.size === this.capacity) {
      const old = (this.actual[slot] as number) * this.classes + (this.predicted[slot] as number);
      this.confusion[old] = (this.confusion[old] as number) - 1;
      this.expectedSum -= this.expected[slot] as number;
    } else this.size++;
    this.predicted[slot] = predicted;
    this.actual[slot] = actual;
    this.expected[slot] = expected;
    const cell = actual * this.classes + predicted;
    this.confusion[cell] = (this.confusion[cell] as number) + 1;
    this.expectedSum += expected;
    this.next = (slot + 1) % this.capacity;
    this.seen++;
  }

  /** Accuracy, precision, recall and F1 over the window; undefined with no outcomes. */
  metrics(): ClassMetrics | undefined {
    return classMetrics(this.confusion, this.classes, this.positiveId);
  }

  /** Mean calibrated accuracy of the same outcomes: what the model's confidence promised. */
  expectedAccuracy(): number | undefined {
    return this.size > 0 ? this.expectedSum / this.size : undefined;
  }
}
