import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { ConfigError } from '../errors.js';
import { REQUEST_FEATURE, TEXT_FEATURES, representationFeature } from './types.js';

/** The `format` of a profile this version reads and writes. */
export const PROFILE_FORMAT = 'sentiment-api.profile/1';

/** Where a model folder keeps its profile. */
export function defaultProfilePath(modelDir: string): string {
  return join(modelDir, 'monitoring', 'reference-profile.json');
}

const Numbers = Type.Array(Type.Number());
const Metrics = Type.Object(
  { accuracy: Type.Number(), precision: Type.Number(), recall: Type.Number(), f1: Type.Number() },
  { additionalProperties: false },
);

/**
 * A reference profile: what the monitor compares live traffic with. Statistics only, never a
 * text. Written by `sentiment-api profile`; the bundled model's is
 * models/sst2-tiny-distilbert/monitoring/reference-profile.json.
 */
export const ReferenceProfileSchema = Type.Object(
  {
    format: Type.Literal(PROFILE_FORMAT),
    source: Type.Object(
      {
        /** The data file's name (no folder: a profile must not leak a machine's paths). */
        data: Type.String(),
        texts: Type.Integer({ minimum: 1 }),
        /**
         * Requests the texts were grouped in (texts_per_request's reference). Absent when the
         * data had no requests (a flat TSV): then the profile has no texts_per_request and the
         * monitor learns that one feature from the first traffic.
         */
        requests: Type.Optional(Type.Integer({ minimum: 1 })),
        labelled: Type.Boolean(),
        createdAt: Type.String(),
        /** The model's fingerprint (model/resolve.ts) when known. */
        model: Type.Optional(Type.String()),
      },
      { additionalProperties: false },
    ),
    /** Class labels in class-id order (the model's id2label). */
    labels: Type.Array(Type.String(), { minItems: 1 }),
    positiveLabel: Type.String(),
    features: Type.Record(
      Type.String(),
      Type.Object({ edges: Numbers, shares: Numbers }, { additionalProperties: false }),
    ),
    projection: Type.Optional(
      Type.Object(
        { mean: Numbers, components: Type.Array(Numbers, { minItems: 1 }) },
        { additionalProperties: false },
      ),
    ),
    metrics: Type.Optional(Metrics),
    calibration: Type.Object(
      {
        method: Type.Union([Type.Literal('reference_accuracy'), Type.Literal('identity')]),
        edges: Numbers,
        accuracy: Numbers,
        texts: Numbers,
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);

export type ReferenceProfile = Static<typeof ReferenceProfileSchema>;

/** Whether the profile describes texts_per_request (its data came in requests). */
export function hasRequestFeature(profile: ReferenceProfile): boolean {
  return profile.source.requests !== undefined;
}

/**
 * The features a profile must describe, in the order the window keeps them: the text
 * features, then texts_per_request when the profile's data had requests.
 */
export function profileFeatures(profile: ReferenceProfile): string[] {
  const components = profile.projection?.components.length ?? 0;
  return [
    ...TEXT_FEATURES,
    ...Array.from({ length: components }, (_, k) => representationFeature(k + 1)),
    ...(hasRequestFeature(profile) ? [REQUEST_FEATURE] : []),
  ];
}

/**
 * Reads and checks a profile: its shape (TypeBox), then what the shape cannot say (every
 * feature present, edges ascending, shares summing to 1, the calibration on the confidence
 * feature's bins, the projection's rows as long as its mean). A fault is a ConfigError naming
 * the file and the fault: the service then refuses to start (exit 2), as for any bad setting.
 */
export function loadProfile(path: string): ReferenceProfile {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ConfigError(`reference profile ${path}: ${(error as Error).message}`);
  }
  const fault = profileFault(json);
  if (fault) throw new ConfigError(`reference profile ${path}: ${fault}`);
  return json as ReferenceProfile;
}

/** What is wrong with a would-be profile, or undefined. */
export function profileFault(json: unknown): string | undefined {
  if (
    typeof json === 'object' &&
    json !== null &&
    'format' in json &&
    json.format !== PROFILE_FORMAT
  )
    return `format is ${JSON.stringify(json.format)}, this version reads ${PROFILE_FORMAT}`;
  const first = Value.Errors(ReferenceProfileSchema, json).First();
  if (first) return `${first.path || '/'}: ${first.message}`;
  const profile = json as ReferenceProfile;
  if (!profile.labels.includes(profile.positiveLabel))
    return `positiveLabel ${profile.positiveLabel} is not among the labels`;
  if (!hasRequestFeature(profile) && profile.features[REQUEST_FEATURE])
    return `features.${REQUEST_FEATURE}: present without source.requests (the requests it counts)`;
  for (const name of profileFeatures(profile)) {
    const feature = profile.features[name];
    if (!feature) return `features: ${name} is missing`;
    const { edges, shares } = feature;
    if (shares.length !== edges.length + 1)
      return `features.${name}: ${edges.length} edges need ${edges.length + 1} shares, not ${shares.length}`;
    for (let i = 1; i < edges.length; i++)
      if (!((edges[i] as number) > (edges[i - 1] as number)))
        return `features.${name}: edges must be ascending`;
    if (shares.some((share) => !(share >= 0)))
      return `features.${name}: a share is negative or not a number`;
    const sum = shares.reduce((a, b) => a + b, 0);
    if (Math.abs(sum - 1) > 1e-6) return `features.${name}: shares sum to ${sum}, not 1`;
  }
  const { calibration } = profile;
  const confidence = profile.features.confidence?.edges ?? [];
  if (
    calibration.edges.length !== confidence.length ||
    calibration.edges.some((edge, i) => edge !== confidence[i])
  )
    return 'calibration: edges must be the confidence feature’s';
  if (
    calibration.accuracy.length !== confidence.length + 1 ||
    calibration.texts.length !== confidence.length + 1
  )
    return `calibration: accuracy and texts need ${confidence.length + 1} bins`;
  if (profile.projection) {
    const width = profile.projection.mean.length;
    if (profile.projection.components.some((row) => row.length !== width))
      return `projection: every component must have the mean's ${width} values`;
  }
  if (profile.source.labelled !== (profile.metrics !== undefined))
    return 'metrics: present exactly when source.labelled';
  return undefined;
}
