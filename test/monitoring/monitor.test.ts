/**
 * The Monitor on real input descriptors (the bundled tokenizer over SST-2 dev, SQuAD
 * questions, long texts in other languages) and synthetic prediction features
 * (feature-streams.ts): shifted streams drive the matching features to drift or alert, a
 * shuffled in-distribution stream stays ok, at the default window sizes.
 */
import assert from 'node:assert/strict';
import { mock, test } from 'node:test';
import { Value } from '@sinclair/typebox/value';
import { buildProfile } from '../../src/monitoring/build-profile.js';
import { MONITOR_DEFAULTS, Monitor, type MonitorOptions } from '../../src/monitoring/monitor.js';
import type { ReferenceProfile } from '../../src/monitoring/profile.js';
import { MonitoringReportSchema, type MonitoringReport } from '../../src/monitoring/report.js';
import { REQUEST_FEATURE, TEXT_FEATURES, type FeatureVector } from '../../src/monitoring/types.js';
import { SST2_DEV } from '../../devkit/sst2-sentences.js';
import { skipWithoutShared } from '../../devkit/shared-data.js';
import {
  SQUAD_PATH,
  longForeignTexts,
  random,
  shuffled,
  squadQuestions,
  sst2Halves,
  sst2Negatives,
  vectorsOf,
} from './feature-streams.js';

const LABELS = ['NEGATIVE', 'POSITIVE'];
const needsSst2 = { skip: skipWithoutShared('data', 'sst2', 'dev.tsv') };

/** The reference: SST-2 dev's even rows, one text a request, unlabelled. */
function referenceProfile(): ReferenceProfile {
  const vectors = vectorsOf(sst2Halves().reference, 1);
  return buildProfile({
    data: 'dev.tsv',
    labels: LABELS,
    positiveId: 1,
    vectors,
    textsPerRequest: vectors.map(() => 1),
  });
}

function monitorOf(
  reference: ReferenceProfile | undefined,
  overrides: Partial<MonitorOptions> = {},
) {
  return new Monitor({
    ...MONITOR_DEFAULTS,
    reference,
    labels: LABELS,
    positiveId: 1,
    ...overrides,
  });
}

/** A checked report: every report must match the schema /monitoring documents. */
function reportOf(monitor: Monitor): MonitoringReport {
  const report = monitor.report();
  const error = Value.Errors(MonitoringReportSchema, report).First();
  assert.equal(error, undefined, error && `${error.path}: ${error.message}`);
  return report;
}

/** Feeds vectors one per request; returns the first count of texts at which a verdict stood. */
function feed(monitor: Monitor, vectors: readonly FeatureVector[]): number | undefined {
  let verdictAt: number | undefined;
  vectors.forEach((vector, i) => {
    monitor.observe([vector]);
    if (verdictAt === undefined && (i + 1) % 50 === 0 && reportOf(monitor).status !== 'warming_up')
      verdictAt = i + 1;
  });
  return verdictAt;
}

const byName = (report: MonitoringReport) =>
  new Map(report.features.map((feature) => [feature.name, feature]));

test(
  'a shuffled in-distribution SST-2 stream stays ok, with a verdict by 300 texts',
  needsSst2,
  () => {
    const monitor = monitorOf(referenceProfile());
    const before = reportOf(monitor);
    assert.equal(before.status, 'warming_up');
    assert.equal(before.reference.source, 'profile');
    const stream = vectorsOf(shuffled(sst2Halves().heldOut, 7), 2);
    const verdictAt = feed(monitor, stream);
    assert.equal(verdictAt, 300);
    const report = reportOf(monitor);
    assert.equal(report.status, 'ok', report.messages.join('\n'));
    assert.deepEqual(report.reasons, []);
    assert.equal(report.window.texts, stream.length);
    for (const feature of report.features) {
      assert.equal(feature.status, 'ok', `${feature.name}: ${JSON.stringify(feature)}`);
      assert.ok((feature.psi as number) < 0.1, `${feature.name} PSI ${feature.psi}`);
    }
  },
);

test(
  'only negative reviews: the positive rate alerts (drift alone: retraining candidate)',
  needsSst2,
  () => {
    const monitor = monitorOf(referenceProfile());
    // The model calls about 19% of negative reviews positive (its dev accuracy is ~81%).
    const stream = vectorsOf(shuffled(sst2Negatives(), 3), 4, { positiveRate: 0.19 });
    assert.ok(feed(monitor, stream) !== undefined);
    const report = reportOf(monitor);
    const features = byName(report);
    assert.equal(features.get('positive')?.status, 'alert');
    assert.ok((features.get('positive')?.psi as number) > 0.25);
    assert.ok((features.get('positive')?.test?.pValue as number) < 1e-6);
    assert.ok((features.get('positive')?.effectSize?.value as number) > 0.2);
    assert.equal(features.get('wordpieces')?.status, 'ok');
    assert.equal(report.status, 'alert');
    assert.deepEqual(report.reasons, ['drift', 'retraining_candidate']);
    assert.match(report.messages.join('\n'), /retraining candidate: positive PSI/);
  },
);

test(
  'questions instead of reviews: case, letters and length move',
  { skip: skipWithoutShared(SQUAD_PATH) || needsSst2.skip },
  () => {
    const monitor = monitorOf(referenceProfile());
    const verdictAt = feed(monitor, vectorsOf(squadQuestions(500), 5));
    assert.ok(verdictAt !== undefined && verdictAt <= 500);
    const report = reportOf(monitor);
    const features = byName(report);
    // SST-2 is lower-cased; SQuAD questions are not.
    assert.equal(features.get('upper_share')?.status, 'alert');
    assert.equal(features.get('wordpieces')?.status === 'ok', false);
    assert.equal(features.get('confidence')?.status, 'ok');
    assert.equal(report.status, 'alert');
  },
);

test('long texts in other languages: truncation, length and non-ASCII alert', needsSst2, () => {
  const monitor = monitorOf(referenceProfile());
  feed(monitor, vectorsOf(longForeignTexts(300, 6), 6));
  const report = reportOf(monitor);
  const features = byName(report);
  for (const name of ['truncated', 'wordpieces', 'non_ascii_share'])
    assert.equal(
      features.get(name)?.status,
      'alert',
      `${name}: ${JSON.stringify(features.get(name))}`,
    );
  assert.equal(report.status, 'alert');
});

test(
  'no profile: the first referenceSize texts become the reference, and the report says so',
  needsSst2,
  () => {
    const monitor = monitorOf(undefined);
    const all = shuffled([...sst2Halves().reference, ...sst2Halves().heldOut], 11);
    const stream = vectorsOf(all, 12);
    stream.slice(0, 499).forEach((vector) => monitor.observe([vector]));
    const learning = reportOf(monitor);
    assert.equal(learning.reference.source, 'first_traffic');
    assert.equal(learning.reference.ready, false);
    assert.equal(learning.reference.texts, 499);
    assert.equal(learning.status, 'warming_up');
    assert.deepEqual(learning.features, []);
    assert.equal(monitor.binTotals().size, 0);
    monitor.observe([stream[499] as FeatureVector]);
    const ready = reportOf(monitor);
    assert.equal(ready.reference.ready, true);
    assert.equal(ready.reference.texts, 500);
    assert.equal(ready.reference.data, 'first traffic');
    assert.equal(ready.window.texts, 0, 'the reference texts are not the window');
    assert.equal(ready.features.length, TEXT_FEATURES.length + 1);
    // The rest of SST-2: ok. Then questions: alert.
    feed(monitor, stream.slice(500));
    assert.equal(reportOf(monitor).status, 'ok', reportOf(monitor).messages.join('\n'));
    if (!skipWithoutShared(SQUAD_PATH)) {
      feed(monitor, vectorsOf(squadQuestions(1500), 13));
      assert.equal(reportOf(monitor).status, 'alert');
    }
  },
);

/**
 * A labelled reference whose model is calibrated: each prediction right with p = confidence,
 * confidence uniform in [0.6, 1), so about 80% right.
 */
function labelledProfile(): { profile: ReferenceProfile; accuracy: number } {
  const vectors = vectorsOf(sst2Halves().reference, 21, { confidenceFrom: 0.6 });
  const next = random(22);
  const predicted = vectors.map((vector) => vector[7] as number);
  const actual = vectors.map((vector, i) =>
    next() < (vector[6] as number) ? (predicted[i] as number) : 1 - (predicted[i] as number),
  );
  const profile = buildProfile({
    data: 'dev.tsv',
    labels: LABELS,
    positiveId: 1,
    vectors,
    textsPerRequest: vectors.map(() => 1),
    predicted,
    actual,
  });
  return { profile, accuracy: profile.metrics?.accuracy as number };
}

test(
  'feedback with wrong labels drives live accuracy under the floor: alert, retrain',
  needsSst2,
  () => {
    const { profile, accuracy } = labelledProfile();
    assert.ok(accuracy > 0.75 && accuracy < 0.85, String(accuracy));
    const monitor = monitorOf(profile, { minAccuracy: 0.6 });
    const next = random(31);
    // 99 outcomes, 40% right: below the floor, but fewer than minFeedback (100): no verdict.
    for (let i = 0; i < 99; i++) monitor.observeOutcome(1, next() < 0.4 ? 1 : 0, [0.2, 0.8]);
    assert.equal(reportOf(monitor).accuracy.breach, null);
    monitor.observeOutcome(1, 0, [0.2, 0.8]);
    const report = reportOf(monitor);
    assert.equal(report.status, 'alert');
    assert.deepEqual(report.reasons, ['retrain']);
    assert.equal(report.accuracy.breach, 'live');
    assert.equal(report.accuracy.outcomes, 100);
    assert.ok((report.accuracy.live as number) < 0.5);
    assert.equal(report.accuracy.reference, accuracy);
    assert.ok(
      Math.abs((report.accuracy.drop as number) - (accuracy - (report.accuracy.live as number))) <
        1e-12,
    );
    assert.equal(report.accuracy.floor, Math.max(0.6, accuracy - 0.1));
    assert.match(report.messages.join('\n'), /retrain: live accuracy/);
    assert.equal(
      monitor.feedbackTotals()[1]?.[0],
      report.accuracy.outcomes - Math.round((report.accuracy.live as number) * 100),
    );
  },
);

test(
  'feedback with the right labels: no retrain; the window keeps the last outcomes only',
  needsSst2,
  () => {
    const { profile, accuracy } = labelledProfile();
    const monitor = monitorOf(profile, { feedbackWindow: 200 });
    const next = random(41);
    for (let i = 0; i < 300; i++) monitor.observeOutcome(1, next() < accuracy ? 1 : 0, [0.1, 0.9]);
    const report = reportOf(monitor);
    assert.equal(report.accuracy.breach, null);
    assert.equal(report.accuracy.outcomes, 200);
    assert.equal(report.accuracy.outcomesSeen, 300);
    assert.ok(Math.abs((report.accuracy.live as number) - accuracy) < 0.1);
    assert.ok(report.accuracy.liveMetrics !== null && report.accuracy.liveMetrics.precision > 0);
    const totals = monitor.feedbackTotals();
    assert.equal((totals[1]?.[0] ?? 0) + (totals[1]?.[1] ?? 0), 300, 'cumulative, not windowed');
    assert.equal(report.status, 'warming_up');
  },
);

test(
  'estimated accuracy (CBPE): a window of unsure predictions says retrain before any label',
  needsSst2,
  () => {
    const { profile, accuracy } = labelledProfile();
    const monitor = monitorOf(profile);
    const start = reportOf(monitor);
    assert.equal(start.accuracy.calibration, 'reference_accuracy');
    assert.equal(start.accuracy.referenceEstimated, accuracy);
    // In-distribution: the estimate stays near the reference.
    feed(monitor, vectorsOf(sst2Halves().heldOut.slice(0, 300), 42, { confidenceFrom: 0.6 }));
    const steady = reportOf(monitor);
    assert.ok(
      Math.abs((steady.accuracy.estimated as number) - accuracy) < 0.05,
      String(steady.accuracy.estimated),
    );
    assert.equal(steady.accuracy.breach, null);
    // Then confidence in [0.5, 0.6): a calibrated model is right 55% of the time there. (The
    // confidence feature drifts too; the estimate is what says retrain.)
    const unsure = monitorOf(profile);
    feed(unsure, vectorsOf(sst2Halves().heldOut.slice(0, 300), 43, { confidenceSpread: 0.1 }));
    const report = reportOf(unsure);
    assert.ok((report.accuracy.estimated as number) < 0.65, String(report.accuracy.estimated));
    assert.equal(report.accuracy.breach, 'estimated');
    assert.ok(report.reasons.includes('retrain'));
    assert.equal(report.status, 'alert');
  },
);

test(
  'the time window: texts older than windowSeconds leave (mock timers), back to warming up',
  needsSst2,
  (t) => {
    t.mock.timers.enable({ apis: ['Date'], now: 1_000_000 });
    const monitor = monitorOf(referenceProfile(), { windowSeconds: 60 });
    const stream = vectorsOf(sst2Halves().heldOut.slice(0, 300), 51);
    feed(monitor, stream);
    const full = reportOf(monitor);
    assert.equal(full.status, 'ok');
    assert.equal(full.window.start, new Date(1_000_000).toISOString());
    t.mock.timers.tick(30_000);
    assert.equal(reportOf(monitor).window.texts, 300);
    t.mock.timers.tick(31_000);
    const later = reportOf(monitor);
    assert.equal(later.window.texts, 0);
    assert.equal(later.status, 'warming_up');
    assert.equal(later.window.textsSeen, 300);
    // The Prometheus counters keep counting since start.
    assert.equal(
      [...(monitor.binTotals().get('wordpieces') ?? [])].reduce((a, b) => a + b, 0),
      300,
    );
    mock.timers.reset();
  },
);

test(
  'binTotals and references: every feature, every bin from the start; totals count texts and requests',
  needsSst2,
  () => {
    const profile = referenceProfile();
    const monitor = monitorOf(profile);
    const totals = monitor.binTotals();
    assert.deepEqual([...totals.keys()], [...TEXT_FEATURES, REQUEST_FEATURE]);
    for (const [name, bins] of totals) {
      assert.equal(bins.length, (profile.features[name]?.edges.length as number) + 1);
      assert.ok(bins.every((count) => count === 0));
      assert.deepEqual(monitor.references().get(name), profile.features[name]);
    }
    const vectors = vectorsOf(sst2Halves().heldOut.slice(0, 30), 61);
    monitor.observe(vectors.slice(0, 10));
    monitor.observe(vectors.slice(10));
    const sum = (name: string) => [...(totals.get(name) ?? [])].reduce((a, b) => a + b, 0);
    assert.equal(sum('confidence'), 30);
    assert.equal(sum(REQUEST_FEATURE), 2);
    // Requests of 10 and 20 texts: above the reference's one-text bin.
    assert.equal(totals.get(REQUEST_FEATURE)?.[0], 0);
  },
);

test('reading the report does not advance a status: evaluations need new texts', needsSst2, () => {
  const monitor = monitorOf(referenceProfile());
  feed(monitor, vectorsOf(sst2Halves().heldOut.slice(0, 250), 71));
  const evaluations = reportOf(monitor).window.evaluations;
  for (let i = 0; i < 10; i++) reportOf(monitor);
  assert.equal(reportOf(monitor).window.evaluations, evaluations);
  assert.equal(
    reportOf(monitor).status,
    'warming_up',
    'two evaluations past minTexts: no verdict yet',
  );
});

test('observe is cheap: 100,000 texts in well under a second', needsSst2, () => {
  const monitor = monitorOf(referenceProfile());
  const vectors = vectorsOf(sst2Halves().heldOut.slice(0, 100), 81);
  // The first 10,000 fill the window: each new window size simulates its PSI threshold once.
  for (let i = 0; i < 10_000; i++) monitor.observe([vectors[i % 100] as FeatureVector]);
  const started = performance.now();
  for (let i = 0; i < 100_000; i++) monitor.observe([vectors[i % 100] as FeatureVector]);
  const ms = performance.now() - started;
  assert.ok(ms < 1000, `${ms} ms for 100,000 texts, evaluations included`);
  assert.equal(reportOf(monitor).window.textsSeen, 110_000);
});

test('a report of a replica that has seen nothing matches the schema (no profile)', () => {
  const report = reportOf(monitorOf(undefined));
  assert.equal(report.reference.source, 'first_traffic');
  assert.equal(report.accuracy.live, null);
  assert.equal(report.accuracy.estimated, null);
  assert.match(report.messages[0] as string, /learning the reference/);
  assert.ok(SST2_DEV.length > 0);
});
