import type { FeedbackWindow } from './feedback.js';
import type { FeatureFigures, LiveReference } from './live-reference.js';
import type { MonitorOptions } from './monitor-options.js';
import type { FeatureReport, MonitoringReport } from './report.js';
import type { MonitorStatus } from './types.js';

/**
 * The accuracy block of the report: live figures over the feedback window and the
 * reference's, the estimate from confidence and the reference's estimate, the floor, and
 * whether either breaches it (reason retrain): live accuracy with at least minFeedback
 * outcomes below MONITOR_MIN_ACCURACY or more than MONITOR_MAX_ACCURACY_DROP under the
 * reference's; or the estimate's tracker at alert. Adds a message per breach.
 */
export function accuracyReport(
  parts: {
    readonly options: MonitorOptions;
    readonly feedback: FeedbackWindow;
    readonly active: LiveReference | undefined;
    /** The live window's estimated accuracy (calibration.ts). */
    readonly estimated: number | undefined;
  },
  messages: string[],
): MonitoringReport['accuracy'] {
  const { options, feedback, active, estimated } = parts;
  const live = feedback.metrics();
  const outcomes = feedback.outcomes;
  const referenceMetrics = active?.profile.metrics;
  const reference = referenceMetrics?.accuracy;
  const referenceEstimated = active?.referenceEstimated;
  let breach: 'live' | 'estimated' | null = null;
  if (live && outcomes >= options.minFeedback && belowFloor(live.accuracy, reference, options)) {
    breach = 'live';
    messages.push(
      `retrain: live accuracy ${live.accuracy.toFixed(3)} over ${outcomes} outcomes` +
        (reference === undefined ? '' : ` (reference ${reference.toFixed(3)})`) +
        ` is below the floor`,
    );
  } else if (active?.estimate.status === 'alert' && estimated !== undefined) {
    breach = 'estimated';
    messages.push(
      `retrain: estimated accuracy ${estimated.toFixed(3)} from confidence` +
        (referenceEstimated === undefined ? '' : ` (reference ${referenceEstimated.toFixed(3)})`) +
        ' is below the floor',
    );
  }
  const floor =
    reference === undefined
      ? options.minAccuracy
      : Math.max(options.minAccuracy, reference - options.maxAccuracyDrop);
  return {
    live: live?.accuracy ?? null,
    reference: reference ?? null,
    estimated: estimated ?? null,
    referenceEstimated: referenceEstimated ?? null,
    liveMetrics: live ? { ...live } : null,
    referenceMetrics: referenceMetrics ? { ...referenceMetrics } : null,
    liveExpected: feedback.expectedAccuracy() ?? null,
    outcomes,
    outcomesSeen: feedback.seen,
    minFeedback: options.minFeedback,
    feedbackWindow: options.feedbackWindow,
    calibration: active?.calibration.method ?? null,
    minAccuracy: options.minAccuracy,
    maxAccuracyDrop: options.maxAccuracyDrop,
    floor,
    drop: live && reference !== undefined ? reference - live.accuracy : null,
    estimatedDrop:
      estimated !== undefined && referenceEstimated !== undefined
        ? referenceEstimated - estimated
        : null,
    breach,
  };
}

/** Below MONITOR_MIN_ACCURACY, or more than MONITOR_MAX_ACCURACY_DROP under `reference`. */
function belowFloor(
  value: number,
  reference: number | undefined,
  { minAccuracy, maxAccuracyDrop }: MonitorOptions,
): boolean {
  return value < minAccuracy || (reference !== undefined && reference - value > maxAccuracyDrop);
}

export function featureReport(
  name: string,
  status: MonitorStatus,
  figure: FeatureFigures,
  options: MonitorOptions,
  alpha: number,
): FeatureReport {
  const { test } = figure;
  return {
    name,
    status,
    texts: figure.texts,
    psi: figure.psi ?? null,
    thresholds: {
      warning: options.psiWarning,
      alert: options.psiAlert,
      sizeAware:
        figure.sizeAware === undefined || !Number.isFinite(figure.sizeAware)
          ? null
          : figure.sizeAware,
    },
    test: test
      ? {
          name: 'chi_square',
          statistic: test.statistic,
          degreesOfFreedom: test.degreesOfFreedom,
          pValue: test.pValue,
          alpha,
        }
      : null,
    effectSize: test ? { name: 'cramers_v', value: test.cramersV } : null,
  };
}

export function driftMessage(
  name: string,
  status: 'drift' | 'alert',
  figure: FeatureFigures,
  options: MonitorOptions,
  alpha: number,
): string {
  const band = status === 'alert' ? options.psiAlert : options.psiWarning;
  const what = status === 'alert' ? 'retraining candidate' : 'drift';
  return (
    `${what}: ${name} PSI ${(figure.psi ?? 0).toFixed(3)} (band ${band}, size-aware ` +
    `${(figure.sizeAware ?? 0).toFixed(3)}), chi-square p ${(figure.test?.pValue ?? 1).toExponential(1)} ` +
    `(alpha ${alpha.toExponential(1)}), Cramér's V ${(figure.test?.cramersV ?? 0).toFixed(2)}`
  );
}
