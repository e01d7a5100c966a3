/**
 * texts_per_request for a profile built from data without requests (a flat TSV): the profile
 * has no such feature, so the Monitor learns its reference from the sizes of the first
 * `referenceSize` requests, warming up meanwhile without holding back the other features'
 * verdict, then watches it like the others. Synthetic seeded vectors: no model, no data.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Value } from '@sinclair/typebox/value';
import { Metrics } from '../../src/metrics.js';
import { registerMonitorMetrics } from '../../src/monitoring-metrics.js';
import { buildProfile } from '../../src/monitoring/build-profile.js';
import { MONITOR_DEFAULTS, Monitor } from '../../src/monitoring/monitor.js';
import { MonitoringReportSchema, type MonitoringReport } from '../../src/monitoring/report.js';
import { REQUEST_FEATURE, type FeatureVector } from '../../src/monitoring/types.js';
import { random } from './feature-streams.js';

const LABELS = ['NEGATIVE', 'POSITIVE'];

/** Texts' vectors (TEXT_FEATURES order), the same distribution whatever the seed. */
function vectors(count: number, seed: number): FeatureVector[] {
  const next = random(seed);
  return Array.from({ length: count }, () => {
    const confidence = 0.5 + next() / 2;
    return [
      5 + Math.floor(next() * 40),
      0,
      0,
      0,
      0.8 + next() / 10,
      0,
      confidence,
      next() < 0.5 ? 1 : 0,
      2 * confidence - 1,
    ];
  });
}

function reportOf(monitor: Monitor): MonitoringReport {
  const report = monitor.report();
  const error = Value.Errors(MonitoringReportSchema, report).First();
  assert.equal(error, undefined, error && `${error.path}: ${error.message}`);
  return report;
}

const feature = (report: MonitoringReport, name: string) =>
  report.features.find((one) => one.name === name);

/** Sends `requests` requests of `per` texts each. */
function send(monitor: Monitor, stream: FeatureVector[], requests: number, per: number): void {
  for (let i = 0; i < requests; i++) monitor.observe(stream.splice(0, per));
}

test('a flat profile: texts_per_request is learned from the first requests, then watched', async () => {
  const profile = buildProfile({
    data: 'dev.tsv',
    labels: LABELS,
    positiveId: 1,
    vectors: vectors(2000, 1),
    textsPerRequest: undefined,
  });
  assert.equal(profile.features[REQUEST_FEATURE], undefined);
  const monitor = new Monitor({
    ...MONITOR_DEFAULTS,
    reference: profile,
    labels: LABELS,
    positiveId: 1,
    // Room for 200 requests of 30 texts (the change below) in the window.
    windowMaxTexts: 20_000,
  });
  const metrics = new Metrics();
  registerMonitorMetrics(metrics, monitor, { psiWarning: 0.1, psiAlert: 0.25, labels: LABELS });
  // A scrape's report is kept until the next turn of the event loop (one per scrape): wait one.
  const scrape = async () => {
    await new Promise((resolve) => setImmediate(resolve));
    return metrics.registry.metrics();
  };
  const requestSeries = /sentiment_monitor_bin_texts_total\{feature="texts_per_request"/;
  const stream = vectors(20_000, 2);

  const first = reportOf(monitor);
  assert.equal(first.reference.requestFeature, 'first_traffic');
  assert.equal(feature(first, REQUEST_FEATURE)?.status, 'warming_up');
  assert.equal(monitor.binTotals().has(REQUEST_FEATURE), false);
  assert.doesNotMatch(await scrape(), requestSeries);

  // 100 requests of 3: the text features reach their verdict (300 texts) and it stands,
  // though texts_per_request is still learning.
  send(monitor, stream, 100, 3);
  const early = reportOf(monitor);
  assert.equal(early.status, 'ok', early.messages.join('\n'));
  assert.equal(feature(early, 'wordpieces')?.status, 'ok');
  assert.equal(feature(early, REQUEST_FEATURE)?.status, 'warming_up');
  assert.equal(early.reference.requests, 100);
  assert.match(early.messages.join('\n'), /texts_per_request: .*100 of 500 requests/);

  // The 500th request: the reference is learned (every request had 3 texts).
  send(monitor, stream, 400, 3);
  assert.deepEqual(monitor.references().get(REQUEST_FEATURE)?.shares, [1, 0]);
  assert.ok(monitor.binTotals().has(REQUEST_FEATURE));
  assert.match(await scrape(), requestSeries);
  const learned = reportOf(monitor);
  assert.equal(learned.reference.requests, 500);
  assert.equal(learned.reference.requestFeature, 'first_traffic');
  assert.equal(learned.features.at(-1)?.name, REQUEST_FEATURE);
  assert.doesNotMatch(learned.messages.join('\n'), /learning/);

  // Requests of 3 after learning: ok.
  send(monitor, stream, 300, 3);
  const steady = reportOf(monitor);
  assert.equal(feature(steady, REQUEST_FEATURE)?.status, 'ok', JSON.stringify(steady.features));
  assert.equal(steady.status, 'ok', steady.messages.join('\n'));
  assert.equal(feature(steady, REQUEST_FEATURE)?.texts, 300);

  // Then requests of 30: flagged.
  send(monitor, stream, 200, 30);
  const changed = reportOf(monitor);
  assert.equal(feature(changed, REQUEST_FEATURE)?.status, 'alert', changed.messages.join('\n'));
  assert.equal(changed.status, 'alert');
  assert.match(changed.messages.join('\n'), /retraining candidate: texts_per_request PSI/);
  assert.equal(feature(changed, 'wordpieces')?.status, 'ok');
  const exported = await scrape();
  assert.match(exported, /sentiment_monitor_feature_status\{feature="texts_per_request"\} 2/);
  // Counted since it was learned: 300 + 200 requests.
  const totals = monitor.binTotals().get(REQUEST_FEATURE) ?? [];
  assert.deepEqual([...totals], [300, 200]);
});

test('a profile with texts_per_request uses its own; no profile learns all from traffic', () => {
  const grouped = buildProfile({
    data: 'requests.jsonl',
    labels: LABELS,
    positiveId: 1,
    vectors: vectors(600, 3),
    textsPerRequest: Array.from({ length: 200 }, () => 3),
  });
  const options = { ...MONITOR_DEFAULTS, labels: LABELS, positiveId: 1 };
  const withProfile = new Monitor({ ...options, reference: grouped });
  assert.equal(reportOf(withProfile).reference.requestFeature, 'profile');
  assert.equal(reportOf(withProfile).reference.requests, 200);
  assert.ok(withProfile.binTotals().has(REQUEST_FEATURE));
  assert.doesNotMatch(reportOf(withProfile).messages.join('\n'), /texts_per_request/);
  const traffic = new Monitor({ ...options, reference: undefined });
  assert.equal(reportOf(traffic).reference.requestFeature, 'first_traffic');
});
