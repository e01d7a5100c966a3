import { bonferroniAlpha } from './bonferroni.js';
import { binIndex } from './bin-edges.js';
import { buildProfile } from './build-profile.js';
import { estimatedAccuracy } from './calibration.js';
import { chiSquareHomogeneity } from './chi-square.js';
import { FeedbackWindow } from './feedback.js';
import {
  openLiveReference,
  openRequestGroup,
  warmingUpFigures,
  type FeatureFigures,
  type FeatureGroup,
  type LiveReference,
} from './live-reference.js';
import {
  DEFAULT_EVALUATE_EVERY,
  DEFAULT_FAMILY_ALPHA,
  type MonitorOptions,
} from './monitor-options.js';
import { accuracyReport, driftMessage, featureReport } from './monitor-report.js';
import { hasRequestFeature } from './profile.js';
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

export {
  DEFAULT_EVALUATE_EVERY,
  DEFAULT_FAMILY_ALPHA,
  MONITOR_DEFAULTS,
  type MonitorOptions,
} from './monitor-options.js';

/**
 * Watches live traffic against a reference: per feature a PSI and a chi-square test of the
 * live window against the reference's bins, a status that changes only when consecutive
 * evaluations agree, live accuracy from feedback and an estimate of it from confidence. No
 * HTTP, no Prometheus: /monitoring serves `report()`, the export reads `binTotals()`,
 * `references()` and `feedbackTotals()`. `observe` runs on every /predict (cache hits
 * included), so it does a binary search and an increment per feature and text, and every
 * `evaluateEvery` texts a pass over the bins.
 *
 * A profile built from data without requests (a flat TSV) has no texts_per_request: that one
 * feature's reference is then learned from the sizes of the first `referenceSize` requests
 * (the request group), warming up meanwhile without holding back the other features.
 */
export class Monitor {
  private active: LiveReference | undefined;
  private readonly learning: { vectors: number[][]; requests: number[] } = {
    vectors: [],
    requests: [],
  };
  private readonly feedback: FeedbackWindow;
  private readonly outcomes: Float64Array;
  private readonly thresholds = new SizeAwarePsi();
  private readonly familyAlpha: number;
  private readonly evaluateEvery: number;
  /** Sizes of the first requests, while texts_per_request's reference is being learned. */
  private requestSizes: number[] | undefined;
  /** texts_per_request with its learned reference, once learned. */
  private requestGroup: FeatureGroup | undefined;
  private totals: ReadonlyMap<string, Float64Array> | undefined;
  private referenceMap: ReadonlyMap<string, FeatureReference> | undefined;
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
    if (options.reference) {
      this.active = openLiveReference(options.reference, 'profile', options, this.clock);
      if (!hasRequestFeature(options.reference)) this.requestSizes = [];
    }
  }

  /** One request's texts, each as its feature vector (types.ts order). */
  observe(vectors: readonly FeatureVector[]): void {
    const active = this.active;
    if (!active) {
      this.learn(vectors);
      return;
    }
    active.window.observe(vectors);
    if (this.requestGroup) this.requestGroup.window.observe(vectors);
    else if (this.requestSizes) this.learnRequest(active, vectors.length);
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
    return this.totals ?? this.active?.binTotals ?? EMPTY;
  }

  /**
   * Each feature's bins and reference shares (empty while learning the reference). A
   * texts_per_request learned from traffic joins both maps once learned, counted from then.
   */
  references(): ReadonlyMap<string, FeatureReference> {
    return this.referenceMap ?? this.active?.references ?? EMPTY;
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
    this.active = openLiveReference(profile, 'first_traffic', this.options, this.clock);
  }

  /** Collects a request's size until texts_per_request's reference can be learned. */
  private learnRequest(active: LiveReference, texts: number): void {
    const sizes = this.requestSizes as number[];
    sizes.push(texts);
    if (sizes.length < this.options.referenceSize) return;
    const group = openRequestGroup(sizes, this.options, this.clock);
    this.requestGroup = group;
    this.requestSizes = undefined;
    this.totals = new Map([...active.binTotals, ...group.binTotals]);
    this.referenceMap = new Map([...active.references, ...group.references]);
  }

  /** The feature groups being watched: the reference's, then texts_per_request if learned. */
  private groups(active: LiveReference): FeatureGroup[] {
    return this.requestGroup ? [active, this.requestGroup] : [active];
  }

  /** Features the Bonferroni split counts: all that are or will be watched. */
  private featureCount(active: LiveReference | undefined): number {
    if (!active) return 0;
    return active.layout.names.length + (this.requestGroup || this.requestSizes ? 1 : 0);
  }

  /** One evaluation: every feature's figures and verdict, and the estimated accuracy's. */
  private evaluate(active: LiveReference): void {
    // Read first: drops the slots that aged out, so the counts below are the window's now.
    const windowTexts = active.window.texts;
    const alpha = bonferroniAlpha(this.familyAlpha, this.featureCount(active));
    for (const group of this.groups(active)) this.evaluateGroup(group, alpha);
    active.estimate.update(this.estimateLevel(active));
    this.sinceEvaluation = 0;
    this.evaluatedTexts = windowTexts;
    this.evaluations++;
  }

  private evaluateGroup(group: FeatureGroup, alpha: number): void {
    const { layout, window, figures, trackers } = group;
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
      figure.level = this.level(group, f, alpha);
      (trackers[f] as StatusTracker).update(figure.level);
    });
  }

  /**
   * A feature's verdict: drift or alert only when PSI passes the band and the size-aware
   * threshold both (a big enough change, and more than this window's size explains) and the
   * chi-square test rejects at the Bonferroni-corrected level.
   */
  private level(group: FeatureGroup, f: number, alpha: number): Level {
    const { options } = this;
    const figure = group.figures[f] as FeatureFigures;
    if (figure.texts < options.minTexts || figure.psi === undefined) return 'warming_up';
    // Most evaluations end here: under the band nothing else can make it drift, so the
    // bootstrap and the test are left for the report (observe runs this every 50 texts).
    if (figure.psi < options.psiWarning) return 'ok';
    this.complete(group, f);
    const significant = (figure.test?.pValue ?? 1) < alpha;
    const sizeAware = figure.sizeAware ?? Infinity;
    if (!significant) return 'ok';
    if (figure.psi >= Math.max(options.psiAlert, sizeAware)) return 'alert';
    if (figure.psi >= Math.max(options.psiWarning, sizeAware)) return 'drift';
    return 'ok';
  }

  /** The size-aware threshold and the test of feature f, on the window as last evaluated. */
  private complete(group: FeatureGroup, f: number): void {
    const figure = group.figures[f] as FeatureFigures;
    if (figure.completed) return;
    figure.completed = true;
    if (figure.texts === 0) return;
    const { layout } = group;
    const name = layout.names[f] as string;
    const start = layout.binStart[f] as number;
    const bins = layout.bins(f);
    // Simulated only for windows that can get a verdict: the small sizes never need one.
    figure.sizeAware =
      figure.texts < this.options.minTexts
        ? undefined
        : this.thresholds.threshold(
            name,
            group.references.get(name)?.shares ?? [],
            group.referenceSizes[f] as number,
            figure.texts,
          );
    figure.test = chiSquareHomogeneity(
      group.window.counts,
      group.referenceCounts,
      start,
      start,
      bins,
    );
  }

  private estimate(active: LiveReference): number | undefined {
    const start = active.layout.binStart[active.confidence] as number;
    return estimatedAccuracy(active.window.counts, active.calibration, start);
  }

  private estimateLevel(active: LiveReference): Level {
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

  private compose(active: LiveReference | undefined): MonitoringReport {
    const { options } = this;
    const messages: string[] = [];
    const reasons = new Set<MonitorReason>();
    const features: FeatureReport[] = [];
    let featureStatus: MonitorStatus = 'warming_up';
    const alpha = bonferroniAlpha(this.familyAlpha, this.featureCount(active));
    if (!active) {
      messages.push(
        `learning the reference from the first traffic: ${this.learning.vectors.length} of ${options.referenceSize} texts`,
      );
    } else {
      const windowTexts = active.window.texts;
      for (const group of this.groups(active))
        group.layout.names.forEach((name, f) => {
          this.complete(group, f);
          const figure = group.figures[f] as FeatureFigures;
          const status = (group.trackers[f] as StatusTracker).status;
          features.push(featureReport(name, status, figure, options, alpha));
          if (status === 'drift' || status === 'alert') {
            reasons.add('drift');
            if (status === 'alert') reasons.add('retraining_candidate');
            messages.push(driftMessage(name, status, figure, options, alpha));
          }
          if (windowTexts >= options.minTexts && status !== 'warming_up')
            featureStatus = worse(featureStatus, status);
        });
      if (this.requestSizes) {
        // Warming up until learned, and like any warming-up feature no bar to the verdict.
        features.push(featureReport(REQUEST_FEATURE, 'warming_up', LEARNING, options, alpha));
        messages.push(
          `${REQUEST_FEATURE}: the profile has none (its data had no requests); learning it from the first traffic: ${this.requestSizes.length} of ${options.referenceSize} requests`,
        );
      }
      if (windowTexts < options.minTexts)
        messages.push(`warming up: ${windowTexts} of ${options.minTexts} texts in the window`);
    }
    const accuracy = accuracyReport(
      {
        options,
        feedback: this.feedback,
        active,
        estimated: active ? this.estimate(active) : undefined,
      },
      messages,
    );
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
        requests:
          profile?.source.requests ??
          this.requestSizes?.length ??
          this.requestGroup?.referenceSizes[0] ??
          this.learning.requests.length,
        requestFeature:
          options.reference && hasRequestFeature(options.reference) ? 'profile' : 'first_traffic',
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
}

const EMPTY: ReadonlyMap<string, never> = new Map<string, never>();

/** The figures of texts_per_request while its reference is still being learned. */
const LEARNING: FeatureFigures = warmingUpFigures();
