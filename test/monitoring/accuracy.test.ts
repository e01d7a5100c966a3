import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildCalibration, estimatedAccuracy } from '../../src/monitoring/calibration.js';
import { classMetrics } from '../../src/monitoring/classification-metrics.js';
import { FeedbackWindow } from '../../src/monitoring/feedback.js';

test('metrics of a worked confusion matrix (two classes: the positive one)', () => {
  // actual NEGATIVE: 40 right, 10 called positive; actual POSITIVE: 5 missed, 45 right.
  // accuracy 85/100; precision 45/55; recall 45/50; F1 = 2PR/(P+R) = 90/105.
  const metrics = classMetrics([40, 10, 5, 45], 2, 1);
  assert.deepEqual(metrics, {
    accuracy: 0.85,
    precision: 45 / 55,
    recall: 0.9,
    f1: (2 * (45 / 55) * 0.9) / (45 / 55 + 0.9),
  });
  assert.ok(Math.abs((metrics?.f1 as number) - 90 / 105) < 1e-12);
  assert.equal(classMetrics([0, 0, 0, 0], 2, 1), undefined);
  // Three classes: macro averages; a class never predicted has precision 0.
  const macro = classMetrics([5, 0, 0, 0, 5, 0, 5, 0, 0], 3, 2);
  assert.equal(macro?.accuracy, 10 / 15);
  assert.equal(macro?.precision, (0.5 + 1 + 0) / 3);
  assert.equal(macro?.recall, (1 + 1 + 0) / 3);
});

test('the feedback window keeps the last outcomes and their confusion matrix', () => {
  const window = new FeedbackWindow(4, 2, 1);
  window.add(1, 1, 0.9);
  window.add(1, 0, 0.7);
  assert.equal(window.metrics()?.accuracy, 0.5);
  window.add(0, 0, 0.8);
  window.add(0, 0, 0.8);
  window.add(1, 1, 0.9); // the first (1,1) leaves
  window.add(1, 1, 0.9); // then (1,0)
  assert.equal(window.outcomes, 4);
  assert.equal(window.seen, 6);
  assert.deepEqual(window.metrics(), { accuracy: 1, precision: 1, recall: 1, f1: 1 });
  assert.ok(Math.abs((window.expectedAccuracy() as number) - 0.85) < 1e-12);
  assert.throws(() => window.add(2, 0, 0.5), RangeError);
});

test('calibration: per confidence bin the reference accuracy; the estimate follows from a histogram', () => {
  // Bins [<0.7), [0.7, 0.9), [>=0.9): right 1 of 2, 2 of 3, 3 of 3.
  const confidence = [0.55, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 0.99];
  const correct = [true, false, true, false, true, true, true, true];
  const calibration = buildCalibration([0.7, 0.9], confidence, correct);
  assert.deepEqual(calibration, {
    method: 'reference_accuracy',
    edges: [0.7, 0.9],
    accuracy: [0.5, 2 / 3, 1],
    texts: [2, 3, 3],
  });
  // A window of 10, 0 and 30 texts in those bins: (10·0.5 + 30·1)/40 = 0.875.
  assert.equal(estimatedAccuracy([10, 0, 30], calibration), 0.875);
  assert.equal(estimatedAccuracy([0, 0, 0], calibration), undefined);
  // The reference's own histogram gives back its accuracy: 6 of 8.
  assert.equal(estimatedAccuracy(calibration.texts, calibration), 6 / 8);
  // Without labels: the mean confidence of each bin.
  const identity = buildCalibration([0.7, 0.9], confidence);
  assert.equal(identity.method, 'identity');
  assert.ok(Math.abs((identity.accuracy[0] as number) - 0.575) < 1e-12);
});
