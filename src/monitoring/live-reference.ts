import { BinLayout } from './bin-layout.js';
import { estimatedAccuracy, type Calibration } from './calibration.js';
import type { ChiSquareResult } from './chi-square.js';
import type { MonitorOptions } from './monitor-options.js';
import { featureReference } from './bin-edges.js';
import { hasRequestFeature, profileFeatures, type ReferenceProfile } from './profile.js';
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

/**
 * Features watched together over one window: their bins laid out flat, the live window, the
 * reference's counts for the chi-square test, the export's per-bin counters (views of the
 * window's), a status tracker and the last figures per feature.
 */
export interface FeatureGroup {
  readonly layout: BinLayout;
  readonly window: SlidingWindow;
  /** Reference counts per bin (shares × its texts or requests), flat as the layout. */
  readonly referenceCounts: Float64Array;
  readonly referenceSizes: readonly number[];
  readonly references: ReadonlyMap<string, FeatureReference>;
  readonly binTotals: ReadonlyMap<string, Float64Array>;
  readonly trackers: readonly StatusTracker[];
  readonly figures: FeatureFigures[];
}

/** Everything that exists once the reference does: its bins, the live window, the verdicts. */
export interface LiveReference extends FeatureGroup {
  readonly profile: ReferenceProfile;
  readonly source: 'profile' | 'first_traffic';
  readonly estimate: StatusTracker;
  readonly calibration: Calibration;
  readonly confidence: number;
  readonly referenceEstimated: number | undefined;
}

type GroupOptions = Pick<MonitorOptions, 'windowSeconds' | 'windowMaxTexts' | 'consecutive'>;

/**
 * A group over `names` (text features in vector order, then texts_per_request when
 * `perRequest`), each with its reference and the size of the data behind it.
 */
export function openFeatureGroup(
  names: readonly string[],
  references: ReadonlyMap<string, FeatureReference>,
  referenceSizes: readonly number[],
  perRequest: boolean,
  options: GroupOptions,
  clock: () => number,
): FeatureGroup {
  const layout = new BinLayout(names, references, perRequest);
  const window = new SlidingWindow(
    layout,
    { windowSeconds: options.windowSeconds, maxTexts: options.windowMaxTexts },
    clock,
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
  return {
    layout,
    window,
    referenceCounts,
    referenceSizes,
    references,
    binTotals,
    trackers: names.map(() => new StatusTracker(options.consecutive)),
    figures: names.map(() => warmingUpFigures()),
  };
}

/** A feature's figures before its window holds anything to judge (a fresh object each call). */
export function warmingUpFigures(): FeatureFigures {
  return {
    texts: 0,
    psi: undefined,
    sizeAware: undefined,
    test: undefined,
    level: 'warming_up',
    completed: true,
  };
}

/**
 * The live side of a reference profile: its features as one group (texts_per_request among
 * them when the profile has it; else the monitor adds it once learned, requestGroup), the
 * calibration and a status tracker for the estimated accuracy.
 */
export function openLiveReference(
  profile: ReferenceProfile,
  source: LiveReference['source'],
  options: GroupOptions,
  clock: () => number,
): LiveReference {
  const names = profileFeatures(profile);
  const references = new Map<string, FeatureReference>(
    names.map((name) => [name, profile.features[name] as FeatureReference]),
  );
  const referenceSizes = names.map((name) =>
    name === REQUEST_FEATURE ? (profile.source.requests as number) : profile.source.texts,
  );
  const group = openFeatureGroup(
    names,
    references,
    referenceSizes,
    hasRequestFeature(profile),
    options,
    clock,
  );
  const confidence = names.indexOf('confidence');
  const calibration = profile.calibration;
  const shares = profile.features.confidence?.shares ?? [];
  const referenceEstimated = profile.metrics?.accuracy ?? estimatedAccuracy(shares, calibration);
  return {
    ...group,
    profile,
    source,
    estimate: new StatusTracker(options.consecutive),
    calibration,
    confidence,
    referenceEstimated,
  };
}

/**
 * texts_per_request alone, for a profile without it: its reference learned from the sizes
 * of the first requests (quantile bins, as a first-traffic reference's), its own window.
 */
export function openRequestGroup(
  sizes: readonly number[],
  options: GroupOptions,
  clock: () => number,
): FeatureGroup {
  const { edges, shares } = featureReference(REQUEST_FEATURE, sizes);
  const references = new Map<string, FeatureReference>([
    [REQUEST_FEATURE, { edges: [...edges], shares: [...shares] }],
  ]);
  return openFeatureGroup([REQUEST_FEATURE], references, [sizes.length], true, options, clock);
}
