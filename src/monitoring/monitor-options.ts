import type { ReferenceProfile } from './profile.js';

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
