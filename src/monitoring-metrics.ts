import { Counter, Gauge } from 'prom-client';
import type { Metrics } from './metrics.js';
import type { Monitor } from './monitoring/monitor.js';
import type { MonitoringReport } from './monitoring/report.js';
import type { MonitorStatus } from './monitoring/types.js';

const PREFIX = 'sentiment_monitor_';

/** The statuses `sentiment_monitor_status{status}` always lists, one of them 1. */
const STATUSES: readonly MonitorStatus[] = ['ok', 'warming_up', 'drift', 'alert'];

/** `sentiment_monitor_feature_status`'s values: ordered, so `max by` gives the worst. */
const STATUS_VALUE: Readonly<Record<MonitorStatus, number>> = {
  warming_up: -1,
  ok: 0,
  drift: 1,
  alert: 2,
};

/** The settings the export states as gauges beside what the monitor measured. */
export interface MonitorExportSettings {
  /** MONITOR_PSI_WARNING and MONITOR_PSI_ALERT. */
  readonly psiWarning: number;
  readonly psiAlert: number;
  /** The model's labels in class-id order: the feedback counter's `predicted` and `actual`. */
  readonly labels: readonly string[];
}

/**
 * The monitor's Prometheus series (the names the shipped rules and dashboard select on:
 * src/monitoring/types.ts, deploy/prometheus), registered into the service's registry. Every
 * value is read from the monitor when /metrics is scraped (prom-client's `collect`), never
 * written per text, so /predict pays nothing for the export; one report serves one scrape.
 *
 * The bins are counters of texts since start (every feature, every bin, zeros included, from
 * the first scrape), so Prometheus can sum them across replicas and take `increase` over any
 * window: the fleet-wide PSI of the recording rules, beside this replica's own in
 * `sentiment_monitor_psi`.
 */
export function registerMonitorMetrics(
  metrics: Metrics,
  monitor: Monitor,
  settings: MonitorExportSettings,
): void {
  const registers = [metrics.registry];
  let cached: MonitoringReport | undefined;
  // The collects of one scrape run in one synchronous pass: one report for all of them.
  const report = (): MonitoringReport => {
    if (!cached) {
      cached = monitor.report();
      setImmediate(() => (cached = undefined));
    }
    return cached;
  };

  new Counter({
    name: `${PREFIX}bin_texts_total`,
    help: 'Texts per feature and bin since start (texts_per_request counts requests); bins as in the reference',
    labelNames: ['feature', 'bin'] as const,
    registers,
    collect() {
      this.reset();
      for (const [feature, totals] of monitor.binTotals())
        totals.forEach((count, bin) => this.inc({ feature, bin: String(bin) }, count));
    },
  });
  new Gauge({
    name: `${PREFIX}reference_share`,
    help: "The reference's share of texts per feature and bin",
    labelNames: ['feature', 'bin'] as const,
    registers,
    collect() {
      this.reset();
      for (const [feature, { shares }] of monitor.references())
        shares.forEach((share, bin) => this.set({ feature, bin: String(bin) }, share));
    },
  });
  new Gauge({
    name: `${PREFIX}psi`,
    help: "Population stability index of each feature: this replica's window against the reference",
    labelNames: ['feature'] as const,
    registers,
    collect() {
      this.reset();
      for (const feature of report().features)
        if (feature.psi !== null) this.set({ feature: feature.name }, feature.psi);
    },
  });
  const thresholds = new Gauge({
    name: `${PREFIX}psi_threshold`,
    help: 'The PSI bands configured: warning (drift) and alert',
    labelNames: ['level'] as const,
    registers,
  });
  thresholds.set({ level: 'warning' }, settings.psiWarning);
  thresholds.set({ level: 'alert' }, settings.psiAlert);
  new Gauge({
    name: `${PREFIX}feature_status`,
    help: 'Status of each feature: -1 warming up, 0 ok, 1 drift, 2 alert',
    labelNames: ['feature'] as const,
    registers,
    collect() {
      this.reset();
      for (const feature of report().features)
        this.set({ feature: feature.name }, STATUS_VALUE[feature.status]);
    },
  });
  new Gauge({
    name: `${PREFIX}status`,
    help: 'The overall status: 1 for the current one, 0 for the others',
    labelNames: ['status'] as const,
    registers,
    collect() {
      const current = report().status;
      for (const status of STATUSES) this.set({ status }, status === current ? 1 : 0);
    },
  });
  new Gauge({
    name: `${PREFIX}window_texts`,
    help: 'Texts in the live window',
    registers,
    collect() {
      this.set(report().window.texts);
    },
  });
  new Counter({
    name: `${PREFIX}feedback_total`,
    help: 'Labelled outcomes (POST /feedback) since start, by predicted and actual class',
    labelNames: ['predicted', 'actual'] as const,
    registers,
    collect() {
      this.reset();
      const { labels } = settings;
      monitor
        .feedbackTotals()
        .forEach((row, predicted) =>
          row.forEach((count, actual) =>
            this.inc(
              { predicted: labels[predicted] as string, actual: labels[actual] as string },
              count,
            ),
          ),
        );
    },
  });
  new Gauge({
    name: `${PREFIX}accuracy`,
    help: 'Accuracy: live (feedback window), estimated (from confidence, CBPE), and the reference figures; absent while unknown',
    labelNames: ['source'] as const,
    registers,
    collect() {
      this.reset();
      for (const [source, value] of Object.entries(accuracies(report())))
        if (value !== null) this.set({ source }, value);
    },
  });
  new Gauge({
    name: `${PREFIX}accuracy_floor`,
    help: 'The floor live accuracy is held to: max(MONITOR_MIN_ACCURACY, reference accuracy - MONITOR_MAX_ACCURACY_DROP)',
    registers,
    collect() {
      // The floor /monitoring applies, so the fleet rule and this replica's retrain agree.
      this.set(report().accuracy.floor);
    },
  });
  new Gauge({
    name: `${PREFIX}feedback_outcomes`,
    help: 'Labelled outcomes in the feedback window',
    registers,
    collect() {
      this.set(report().accuracy.outcomes);
    },
  });
  new Gauge({
    name: `${PREFIX}retrain`,
    help: '1 while the status is alert with reason retrain (measured or estimated accuracy breach)',
    registers,
    collect() {
      const { status, reasons } = report();
      this.set(status === 'alert' && reasons.includes('retrain') ? 1 : 0);
    },
  });
}

/** The four accuracy figures of a report, by the `source` label they are exported under. */
function accuracies(report: MonitoringReport): Record<string, number | null> {
  const { accuracy } = report;
  return {
    live: accuracy.live,
    estimated: accuracy.estimated,
    reference: accuracy.reference,
    reference_estimated: accuracy.referenceEstimated,
  };
}
