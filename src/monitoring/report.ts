import { Type, type Static } from '@sinclair/typebox';

const Nullable = <T extends ReturnType<typeof Type.Number>>(schema: T) =>
  Type.Union([schema, Type.Null()]);
const NullableString = Type.Union([Type.String(), Type.Null()]);

export const MonitorStatusSchema = Type.Union(
  [Type.Literal('ok'), Type.Literal('warming_up'), Type.Literal('drift'), Type.Literal('alert')],
  { description: 'ok | warming_up (too few texts yet) | drift (a warning) | alert' },
);

export const MonitorReasonSchema = Type.Union(
  [Type.Literal('drift'), Type.Literal('retraining_candidate'), Type.Literal('retrain')],
  {
    description:
      'drift: a feature is past its warning level; retraining_candidate: past its alert level ' +
      '(drift alone); retrain: live or estimated accuracy below its floor',
  },
);

const MetricsSchema = Type.Object({
  accuracy: Type.Number(),
  precision: Type.Number(),
  recall: Type.Number(),
  f1: Type.Number(),
});

export const FeatureReportSchema = Type.Object({
  name: Type.String(),
  status: MonitorStatusSchema,
  /** Texts (requests, for texts_per_request) of the window in this feature's histogram. */
  texts: Type.Integer(),
  psi: Nullable(Type.Number()),
  thresholds: Type.Object({
    warning: Type.Number({ description: 'the fixed PSI band for drift (MONITOR_PSI_WARNING)' }),
    alert: Type.Number({ description: 'the fixed PSI band for alert (MONITOR_PSI_ALERT)' }),
    sizeAware: Nullable(
      Type.Number({
        description:
          "99th percentile of PSI on unchanged data at this window's size (bootstrap): PSI " +
          'must pass it as well as the band',
      }),
    ),
  }),
  test: Type.Union([
    Type.Object({
      name: Type.Literal('chi_square'),
      statistic: Type.Number(),
      degreesOfFreedom: Type.Integer(),
      pValue: Type.Number(),
      alpha: Type.Number({ description: 'the family level divided by the features (Bonferroni)' }),
    }),
    Type.Null(),
  ]),
  effectSize: Type.Union([
    Type.Object({ name: Type.Literal('cramers_v'), value: Type.Number() }),
    Type.Null(),
  ]),
});

/** The body of GET /monitoring: this replica's view. */
export const MonitoringReportSchema = Type.Object(
  {
    status: MonitorStatusSchema,
    reasons: Type.Array(MonitorReasonSchema),
    /** One line per finding, for people. */
    messages: Type.Array(Type.String()),
    reference: Type.Object({
      source: Type.Union([Type.Literal('profile'), Type.Literal('first_traffic')]),
      path: NullableString,
      data: NullableString,
      createdAt: NullableString,
      texts: Type.Integer(),
      /** Requests behind texts_per_request's reference (so far, while it is being learned). */
      requests: Type.Integer(),
      requestFeature: Type.Union([Type.Literal('profile'), Type.Literal('first_traffic')], {
        description:
          "where texts_per_request's reference came from: the profile, or the first " +
          'MONITOR_REFERENCE_SIZE requests (a profile built from data without requests has none)',
      }),
      labelled: Type.Boolean(),
      /** False while the first texts are still being collected (first_traffic). */
      ready: Type.Boolean(),
    }),
    window: Type.Object({
      seconds: Type.Number(),
      maxTexts: Type.Integer(),
      minTexts: Type.Integer(),
      texts: Type.Integer(),
      requests: Type.Integer(),
      start: NullableString,
      textsSeen: Type.Integer(),
      requestsSeen: Type.Integer(),
      evaluations: Type.Integer(),
    }),
    thresholds: Type.Object({
      psiWarning: Type.Number(),
      psiAlert: Type.Number(),
      familyAlpha: Type.Number(),
      consecutive: Type.Integer(),
      sizeAwareQuantile: Type.Number(),
    }),
    /** Every monitored feature, in the order of the reference (text features, then per request). */
    features: Type.Array(FeatureReportSchema),
    accuracy: Type.Object({
      /** Accuracy over the feedback window; null with no outcomes. */
      live: Nullable(Type.Number()),
      /** The reference's accuracy (a labelled profile). */
      reference: Nullable(Type.Number()),
      /** CBPE-style estimate for the live window, from its confidence histogram. */
      estimated: Nullable(Type.Number()),
      /** The same estimate for the reference (its accuracy, when labelled). */
      referenceEstimated: Nullable(Type.Number()),
      liveMetrics: Type.Union([MetricsSchema, Type.Null()]),
      referenceMetrics: Type.Union([MetricsSchema, Type.Null()]),
      /** What the calibration expected of the same labelled outcomes. */
      liveExpected: Nullable(Type.Number()),
      outcomes: Type.Integer(),
      outcomesSeen: Type.Integer(),
      minFeedback: Type.Integer(),
      feedbackWindow: Type.Integer(),
      calibration: Type.Union([
        Type.Literal('reference_accuracy'),
        Type.Literal('identity'),
        Type.Null(),
      ]),
      minAccuracy: Type.Number(),
      maxAccuracyDrop: Type.Number(),
      /** max(minAccuracy, reference accuracy − maxAccuracyDrop). */
      floor: Type.Number(),
      /** Reference accuracy minus live accuracy. */
      drop: Nullable(Type.Number()),
      /** Reference estimate minus live estimate. */
      estimatedDrop: Nullable(Type.Number()),
      breach: Type.Union([Type.Literal('live'), Type.Literal('estimated'), Type.Null()]),
    }),
  },
  { $id: 'MonitoringReport' },
);

export type MonitoringReport = Static<typeof MonitoringReportSchema>;
export type FeatureReport = Static<typeof FeatureReportSchema>;
export type MonitorReason = Static<typeof MonitorReasonSchema>;
