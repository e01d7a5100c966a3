import { bonferroniAlpha } from './bonferroni.js';
import { BinLayout } from './bin-layout.js';
import { binIndex } from './bin-edges.js';
import { buildProfile } from './build-profile.js';
import { estimatedAccuracy, type Calibration } from './calibration.js';
import { chiSquareHomogeneity, type ChiSquareResult } from './chi-square.js';
import { FeedbackWindow } from './feedback.js';
import { profileFeatures, type ReferenceProfile } from './profile.js';
import { psi } from './psi.js';
import { BOOTSTRAP_QUANTILE, SizeAwarePsi } from './psi-threshold.js';
import type { FeatureReport, MonitoringReport, MonitorReason } from './report.js';
import { StatusTracker, worse, type Level } from './status-tracker.js';
import {
  REQUEST_FEATURE,
  TEXT_FEATURES,
  type FeatureReference,
  type FeatureVector,
  type MonitorStatus,
} from './types.js';
import { SlidingWindow } from './window.js';

/** The monitor's knobs: the MONITOR_* settings (config.ts documents each), mapped by H2. */
export interface MonitorOptions {
  /** The reference profile; undefined: the first `referenceSize` texts become the reference. */
  readonly reference: ReferenceProfile | undefined;
  /** Where the profile was read from, for the report. */
  readonly referencePath?: string;
  readonly referenceSize: number;
  readonly windowSeconds: number;
  readonly windowMaxTexts: number;
  /** Texts (requests, for texts_per_request) a feature's window needs before any verdict. */
  readonly minTexts: number;
  readonly psiWarning: number;
  readonly psiAlert: number;
  /** Evaluations that must agree before a status changes. */
  readonly consecutive: number;
  readonly minAccuracy: number;
  readonly maxAccuracyDrop: number;
  readonly minFeedback: number;
  readonly feedbackWindow: number;
  /** Class labels in class-id order. */
  readonly labels: readonly string[];
  /** The class the positive rate counts (descriptors.ts positiveClassId). */
  readonly positiveId: number;
  /** Chance of a false drift verdict among all features at one evaluation (Bonferroni). */
  readonly familyAlpha?: number;
  /** Texts between two evaluations as traffic arrives (report() evaluates too). */
  readonly evaluateEvery?: number;
}

/** The documented defaults (contract item 7), for callers and tests that set no config. */
export const MONITOR_DEFAULTS = {
  referenceSize: 500,
  windowSeconds: 600,
  windowMaxTexts: 5000,
  minTexts: 200,
  psiWarning: 0.1,
  psiAlert: 0.25,
  consecutive: 3,
  minAccuracy: 0.75,
  maxAccuracyDrop: 0.1,
  minFeedback: 100,
  feedbackWindow: 1000,
} as const;

/** 5% across all features: with a dozen of them, each is tested at about 0.4%. */
export const DEFAULT_FAMILY_ALPHA = 0.05;
/**
 * Texts between evaluations. With minTexts 200 and 3 consecutive evaluations, a verdict is
 * reached at 300 texts, well within the 500 the contract allows.
 */
export const DEFAULT_EVALUATE_EVERY = 50;

/** One feature's figures at the last evaluation. */
interface FeatureFigures {
  texts: number;
  psi: number | undefined;
  sizeAware: number | undefined;
  test: ChiSquareResult | undefined;
  level: Level;
  /** Whether sizeAware and test are computed for the last evaluation (complete()). */
  completed: boolean;
}

/** Everything that exists once the reference does. */
interface Active {
  readonly profile: ReferenceProfile;
  readonly source: 'profile' | 'first_traffic';
  readonly layout: BinLayout;
  readonly window: SlidingWindow;
  /** Reference counts per bin (shares × its texts or requests), flat as the layout. */
  readonly referenceCounts: Float64Array;
  readonly referenceSizes: readonly number[];
  readonly references: ReadonlyMap<string, FeatureReference>;
  readonly binTotals: ReadonlyMap<string, Float64Array>;
  readonly trackers: readonly StatusTracker[];
  readonly figures: FeatureFigures[];
  readonly estimate: StatusTracker;
  readonly calibration: Calibration;
  readonly confidence: number;
  readonly referenceEstimated: number | undefined;
}

/**
 * Watches live traffic against a reference: per feature a PSI and a chi-square test of the
 * live window against the reference's bins, a status that changes only when consecutive
 * evaluations agree, live accuracy from feedback and an estimate of it from confidence. No
 * HTTP, no Prometheus: /monitoring serves `report()`, the export reads `binTotals()`,
 * `references()` and `feedbackTotals()`. `observe` runs on every /predict (cache hits
 * included), so it does a binary search and an increment per feature and text, and every
 * `evaluateEvery` texts a pass over the bins.
 */
export class Monitor {
  private active: Active | undefined;
  private readonly learning: { vectors: number[][]; requests: number[] } = {
    vectors: [],
    requests: [],
  };
  private readonly feedback: FeedbackWindow;
  private readonly outcomes: Float64Array;
  private readonly thresholds = new SizeAwarePsi();
  private readonly familyAlpha: number;
  private readonly evaluateEvery: number;
  private sinceEvaluation = 0;
  private evaluatedTexts = -1;
  private evaluations = 0;

  constructor(
    private readonly options: MonitorOptions,
    /** Milliseconds since the epoch (tests drive it). */
    private readonly clock: () => number = () => Date.now(),
  ) {
    const classes = options.labels.length;
    this.feedback = new FeedbackWindow(options.feedbackWindow, classes, options.positiveId);
    this.outcomes = new Float64Array(classes * classes);
    this.familyAlpha = options.familyAlpha ?? DEFAULT_FAMILY_ALPHA;
    this.evaluateEvery = options.evaluateEvery ?? DEFAULT_EVALUATE_EVERY;
    if (options.reference) this.active = this.activate(options.reference, 'profile');
  }

  /** One request's texts, each as its feature vector (types.ts order). */
  observe(vectors: readonly FeatureVector[]): void {
    const active = this.active;
    if (!active) {
      this.learn(vectors);
      return;
    }
    active.window.observe(vectors);
    this.sinceEvaluation += vectors.length;
    if (this.sinceEvaluation >= this.evaluateEvery) this.evaluate(active);
  }

  /** A labelled outcome (POST /feedback): what the model predicted, what the label says. */
  observeOutcome(predicted: number, actual: number, scores: readonly number[]): void {
    let confidence = 0;
    for (const score of scores) if (score > confidence) confidence = score;
    const calibration = this.active?.calibration;
    const expected = calibration
      ? (calibration.accuracy[binIndex(calibration.edges, confidence)] as number)
      : confidence;
    this.feedback.add(predicted, actual, expected);
    const cell = predicted * this.options.labels.length + actual;
    this.outcomes[cell] = (this.outcomes[cell] as number) + 1;
  }

  /**
   * Texts per bin since start, per feature (texts_per_request: requests), every bin from the
   * start. Empty while a reference is still being learned from the first traffic (the bins
   * do not exist yet). The arrays are live views: read them, do not keep them.
   */
  binTotals(): ReadonlyMap<string, Float64Array> {
    return this.active?.binTotals ?? EMPTY;
  }

  /** Each feature's bins and reference shares (empty while learning the reference). */
  references(): ReadonlyMap<string, FeatureReference> {
    return this.active?.references ?? EMPTY;
  }

  /** Outcomes since start, [predicted][actual], labels.length square. */
  feedbackTotals(): readonly (readonly number[])[] {
    const classes = this.options.labels.length;
    return Array.from({ length: classes }, (_, p) =>
      Array.from(this.outcomes.subarray(p * classes, (p + 1) * classes)),
    );
  }

  /** The /monitoring body; evaluates first when the window changed since the last time. */
  report(): MonitoringReport {
    const active = this.active;
    if (active && (this.sinceEvaluation > 0 || active.window.texts !== this.evaluatedTexts))
      this.evaluate(active);
    return this.compose(active);
  }

  private learn(vectors: readonly FeatureVector[]): void {
    const { learning, options } = this;
    for (const vector of vectors) learning.vectors.push(vector.slice(0, TEXT_FEATURES.length));
    learning.requests.push(vectors.length);
    if (learning.vectors.length < options.referenceSize) return;
    const profile = buildProfile({
      data: 'first traffic',
      labels: options.labels,
      positiveId: options.positiveId,
      vectors: learning.vectors,
      textsPerRequest: learning.requests,
      createdAt: new Date(this.clock()),
    });
    learning.vectors = [];
    learning.requests = [];
    this.active = this.activate(profile, 'first_traffic');
  }

  private activate(profile: ReferenceProfile, source: Active['source']): Active {
    const names = profileFeatures(profile);
    const references = new Map<string, FeatureReference>(
      names.map((name) => [name, profile.features[name] as FeatureReference]),
    );
    const layout = new BinLayout(names, references);
    const window = new SlidingWindow(
      layout,
      { windowSeconds: this.options.windowSeconds, maxTexts: this.options.windowMaxTexts },
      this.clock,
    );
    const referenceSizes = names.map((name) =>
      name === REQUEST_FEATURE ? profile.source.requests : profile.source.texts,
    );
    const referenceCounts = new Float64Array(layout.totalBins);
    names.forEach((_, f) => {
      for (let b = 0; b < layout.bins(f); b++) {
        const bin = (layout.binStart[f] as number) + b;
        referenceCounts[bin] = (layout.shares[bin] as number) * (referenceSizes[f] as number);
      }
    });
    const binTotals = new Map(
      names.map((name, f) => {
        const start = layout.binStart[f] as number;
        return [name, window.cumulative.subarray(start, start + layout.bins(f))] as const;
      }),
    );
    const confidence = names.indexOf('confidence');
    const calibration = profile.calibration;
    const shares = profile.features.confidence?.shares ?? [];
    const referenceEstimated = profile.metrics?.accuracy ?? estimatedAccuracy(shares, calibration);
    return {
      profile,
      source,
      layout,
      window,
      referenceCounts,
      referenceSizes,
      references,
      binTotals,
      trackers: names.map(() => new StatusTracker(this.options.consecutive)),
      figures: names.map(() => ({
        texts: 0,
        psi: undefined,
        sizeAware: undefined,
        test: undefined,
        level: 'warming_up',
        completed: true,
      })),
      estimate: new StatusTracker(this.options.consecutive),
      calibration,
      confidence,
      referenceEstimated,
    };
  }

  /** One evaluation: every feature's figures and verdict, and the estimated accuracy's. */
  private evaluate(active: Active): void {
    const { layout, window, figures, trackers } = active;
    // Read first: drops the slots that aged out, so the counts below are the window's now.
    const windowTexts = window.texts;
    const alpha = bonferroniAlpha(this.familyAlpha, layout.names.length);
    const counts = window.counts;
    layout.names.forEach((name, f) => {
      const start = layout.binStart[f] as number;
      const bins = layout.bins(f);
      let texts = 0;
      for (let b = 0; b < bins; b++) texts += counts[start + b] as number;
      const figure = figures[f] as FeatureFigures;
      figure.texts = texts;
      figure.psi = texts === 0 ? undefined : psi(counts, layout.shares, start, bins, start);
      figure.sizeAware = figure.test = undefined;
      figure.completed = false;
      figure.level = this.level(active, f, alpha);
      (trackers[f] as StatusTracker).update(figure.level);
    });
    active.estimate.update(this.estimateLevel(active));
    this.sinceEvaluation = 0;
    this.evaluatedTexts = windowTexts;
    this.evaluations++;
  }

  /**
   * A feature's verdict: drift or alert only when PSI passes the band and the size-aware
   * threshold both (a big enough change, and more than this window's size explains) and the
   * chi-square test rejects at the Bonferroni-corrected level.
   */
  private level(active: Active, f: number, alpha: number): Level {
    const { options } = this;
    const figure = active.figures[f] as FeatureFigures;
    if (figure.texts < options.minTexts || figure.psi === undefined) return 'warming_up';
    // Most evaluations end here: under the band nothing else can make it drift, so the
    // bootstrap and the test are left for the report (observe runs this every 50 texts).
    if (figure.psi < options.psiWarning) return 'ok';
    this.complete(active, f);
    const significant = (figure.test?.pValue ?? 1) < alpha;
    const sizeAware = figure.sizeAware ?? Infinity;
    if (!significant) return 'ok';
    if (figure.psi >= Math.max(options.psiAlert, sizeAware)) return 'alert';
    if (figure.psi >= Math.max(options.psiWarning, sizeAware)) return 'drift';
    return 'ok';
  }

  /** The size-aware threshold and the test of feature f, on the window as last evaluated. */
  private complete(active: Active, f: number): void {
    const figure = active.figures[f] as FeatureFigures;
    if (figure.completed) return;
    figure.completed = true;
    if (figure.texts === 0) return;
    const { layout } = active;
    const name = layout.names[f] as string;
    const start = layout.binStart[f] as number;
    const bins = layout.bins(f);
    // Simulated only for windows that can get a verdict: the small sizes never need one.
    figure.sizeAware =
      figure.texts < this.options.minTexts
        ? undefined
        : this.thresholds.threshold(
            name,
            active.references.get(name)?.shares ?? [],
            active.referenceSizes[f] as number,
            figure.texts,
          );
    figure.test = chiSquareHomogeneity(
      active.window.counts,
      active.referenceCounts,
      start,
      start,
      bins,
    );
  }

  private estimate(active: Active): number | undefined {
    const start = active.layout.binStart[active.confidence] as number;
    return estimatedAccuracy(active.window.counts, active.calibration, start);
  }

  private estimateLevel(active: Active): Level {
    const texts = (active.figures[active.confidence] as FeatureFigures).texts;
    const estimate = this.estimate(active);
    if (texts < this.options.minTexts || estimate === undefined) return 'warming_up';
    const reference = active.referenceEstimated;
    // The absolute floor holds only for an estimate calibrated on labels. Without them the
    // "estimate" is the model's own mean confidence, which says nothing absolute (and may sit
    // below MONITOR_MIN_ACCURACY from the start): then only a drop from the reference counts.
    const floored =
      active.calibration.method === 'reference_accuracy' && estimate < this.options.minAccuracy;
    const dropped = reference !== undefined && reference - estimate > this.options.maxAccuracyDrop;
    return floored || dropped ? 'alert' : 'ok';
  }

  /** Below MONITOR_MIN_ACCURACY, or more than MONITOR_MAX_ACCURACY_DROP under `reference`. */
  private belowFloor(value: number, reference: number | undefined): boolean {
    const { minAccuracy, maxAccuracyDrop } = this.options;
    return value < minAccuracy || (reference !== undefined && reference - value > maxAccuracyDrop);
  }

  private compose(active: Active | undefined): MonitoringReport {
    const { options } = this;
    const messages: string[] = [];
    const reasons = new Set<MonitorReason>();
    const features: FeatureReport[] = [];
    let featureStatus: MonitorStatus = 'warming_up';
    const alpha = bonferroniAlpha(this.familyAlpha, active?.layout.names.length ?? 0);
    if (!active) {
      messages.push(
        `learning the reference from the first traffic: ${this.learning.vectors.length} of ${options.referenceSize} texts`,
      );
    } else {
      const windowTexts = active.window.texts;
      active.layout.names.forEach((name, f) => {
        this.complete(active, f);
        const figure = active.figures[f] as FeatureFigures;
        const status = (active.trackers[f] as StatusTracker).status;
        features.push(featureReport(name, status, figure, options, alpha));
        if (status === 'drift' || status === 'alert') {
          reasons.add('drift');
          if (status === 'alert') reasons.add('retraining_candidate');
          messages.push(driftMessage(name, status, figure, options, alpha));
        }
        if (windowTexts >= options.minTexts && status !== 'warming_up')
          featureStatus = worse(featureStatus, status);
      });
      if (windowTexts < options.minTexts)
        messages.push(`warming up: ${windowTexts} of ${options.minTexts} texts in the window`);
    }
    const accuracy = this.accuracyBlock(active, messages);
    if (accuracy.breach) reasons.add('retrain');
    const status: MonitorStatus = accuracy.breach ? 'alert' : featureStatus;
    const profile = active?.profile;
    const startedAt = active?.window.startedAt;
    return {
      status,
      reasons: [...reasons],
      messages,
      reference: {
        source: active?.source ?? (options.reference ? 'profile' : 'first_traffic'),
        path: active?.source === 'profile' ? (options.referencePath ?? null) : null,
        data: profile?.source.data ?? null,
        createdAt: profile?.source.createdAt ?? null,
        texts: profile?.source.texts ?? this.learning.vectors.length,
        requests: profile?.source.requests ?? this.learning.requests.length,
        labelled: profile?.source.labelled ?? false,
        ready: active !== undefined,
      },
      window: {
        seconds: options.windowSeconds,
        maxTexts: options.windowMaxTexts,
        minTexts: options.minTexts,
        texts: active?.window.texts ?? 0,
        requests: active?.window.requests ?? 0,
        start: startedAt === undefined ? null : new Date(startedAt).toISOString(),
        textsSeen: active?.window.textsSeen ?? 0,
        requestsSeen: active?.window.requestsSeen ?? 0,
        evaluations: this.evaluations,
      },
      thresholds: {
        psiWarning: options.psiWarning,
        psiAlert: options.psiAlert,
        familyAlpha: this.familyAlpha,
        consecutive: options.consecutive,
        sizeAwareQuantile: BOOTSTRAP_QUANTILE,
      },
      features,
      accuracy,
    };
  }

  private accuracyBlock(
    active: Active | undefined,
    messages: string[],
  ): MonitoringReport['accuracy'] {
    const { options, feedback } = this;
    const live = feedback.metrics();
    const outcomes = feedback.outcomes;
    const referenceMetrics = active?.profile.metrics;
    const reference = referenceMetrics?.accuracy;
    const estimated = active ? this.estimate(active) : undefined;
    const referenceEstimated = active?.referenceEstimated;
    let breach: 'live' | 'estimated' | null = null;
    if (live && outcomes >= options.minFeedback && this.belowFloor(live.accuracy, reference)) {
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
          (referenceEstimated === undefined
            ? ''
            : ` (reference ${referenceEstimated.toFixed(3)})`) +
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
}

const EMPTY: ReadonlyMap<string, never> = new Map<string, never>();

function featureReport(
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

function driftMessage(
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
