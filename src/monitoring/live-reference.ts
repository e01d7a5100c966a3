import { BinLayout } from './bin-layout.js';
import { estimatedAccuracy, type Calibration } from './calibration.js';
import type { ChiSquareResult } from './chi-square.js';
import type { MonitorOptions } from './monitor-options.js';
import { profileFeatures, type ReferenceProfile } from './profile.js';
import { StatusTracker, type Level } from './status-tracker.js';
import { REQUEST_FEATURE, type FeatureReference } from './types.js';
import { SlidingWindow } from './window.js';

/** One feature's figures at the last evaluation. */
export interface FeatureFigures {
  texts: number;
  psi: number | undefined;
  sizeAware: number | undefined;
  test: ChiSquareResult | undefined;
  level: Level;
  /** Whether sizeAware and test are computed for the last evaluation (complete()). */
  completed: boolean;
}

/** Everything that exists once the reference does: its bins, the live window, the verdicts. */
export interface LiveReference {
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
 * The live side of a reference profile: its bins laid out flat, an empty window over them,
 * the reference's counts for the chi-square test (shares × its texts, or requests for
 * texts_per_request), the export's per-bin counters as views of the window's, a status
 * tracker per feature and one for the estimated accuracy.
 */
export function openLiveReference(
  profile: ReferenceProfile,
  source: LiveReference['source'],
  options: Pick<MonitorOptions, 'windowSeconds' | 'windowMaxTexts' | 'consecutive'>,
  clock: () => number,
): LiveReference {
  const names = profileFeatures(profile);
  const references = new Map<string, FeatureReference>(
    names.map((name) => [name, profile.features[name] as FeatureReference]),
  );
  const layout = new BinLayout(names, references);
  const window = new SlidingWindow(
    layout,
    { windowSeconds: options.windowSeconds, maxTexts: options.windowMaxTexts },
    clock,
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
    trackers: names.map(() => new StatusTracker(options.consecutive)),
    figures: names.map(() => ({
      texts: 0,
      psi: undefined,
      sizeAware: undefined,
      test: undefined,
      level: 'warming_up',
      completed: true,
    })),
    estimate: new StatusTracker(options.consecutive),
    calibration,
    confidence,
    referenceEstimated,
  };
}
