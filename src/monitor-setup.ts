import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import type { Config } from './config.js';
import { ConfigError } from './errors.js';
import type { EngineGraph } from './engine/engine.js';
import { FeatureVectors } from './engine/feature-vectors.js';
import type { ModelTokenizer } from './engine/tokenizer.js';
import type { ResolvedModel } from './model/resolve.js';
import { positiveClassId } from './monitoring/descriptors.js';
import { Monitor } from './monitoring/monitor.js';
import {
  defaultProfilePath,
  loadProfile,
  profileFeatures,
  type ReferenceProfile,
} from './monitoring/profile.js';
import { REQUEST_FEATURE, TEXT_FEATURES } from './monitoring/types.js';

/** MONITOR_REFERENCE's word for "the first texts served", whatever the model folder holds. */
export const TRAFFIC_REFERENCE = 'traffic';

/**
 * The reference profile the monitor compares with: MONITOR_REFERENCE's file, else the model
 * folder's own when it has one; undefined when there is none or MONITOR_REFERENCE=traffic
 * (the first MONITOR_REFERENCE_SIZE texts become the reference). A profile that cannot be
 * read, or was built for other labels than the model's, stops the start with one line.
 */
export function loadReference(
  config: Pick<Config, 'monitorReference'>,
  model: ResolvedModel,
): LoadedReference | undefined {
  if (config.monitorReference === TRAFFIC_REFERENCE) return undefined;
  const path = config.monitorReference ?? defaultProfilePath(model.files.dir);
  if (config.monitorReference === undefined && !existsSync(path)) return undefined;
  const profile = loadProfile(path);
  const labels = model.config.labels;
  if (profile.labels.join('\n') !== labels.join('\n')) {
    throw new ConfigError(
      `reference profile ${path} is the profile of a model with labels ${profile.labels.join(', ')}, ` +
        `not ${labels.join(', ')}: build one for this model (sentiment-api profile)`,
    );
  }
  return { profile, path };
}

/** A reference profile and the file it was read from. */
export interface LoadedReference {
  readonly profile: ReferenceProfile;
  readonly path: string;
}

/** The monitor and what the classifier and the cache need of it. */
export interface MonitorSetup {
  readonly monitor: Monitor;
  /** How the classifier builds a computed text's vector. */
  readonly features: FeatureVectors;
  /**
   * Names the vector's layout in every shared cache key: a replica that watches other
   * features (another projection, none, the monitor off) never reads these entries.
   */
  readonly cacheScope: string;
  /** The features the monitor watches, in its order (what /monitoring?feature= accepts). */
  readonly featureNames: readonly string[];
  /** Why the projection was left out, when the profile has one the graph cannot feed. */
  readonly warning: string | undefined;
}

/**
 * The monitor for one model, once the workers have said what their graph gives: the
 * representation's projection is watched when the profile has one and the graph gives the
 * [CLS] representation (a graph converted before it had the output does not: the
 * projection is then left out, with a warning, rather than refusing to serve).
 */
export function openMonitor(
  config: Config,
  parts: {
    readonly model: ResolvedModel;
    readonly tokenizer: ModelTokenizer;
    readonly reference: LoadedReference | undefined;
    readonly graph: EngineGraph;
  },
): MonitorSetup {
  const { model, tokenizer, graph, reference } = parts;
  const labels = model.config.labels;
  const positiveId = positiveClassId(labels);
  let profile = reference?.profile;
  let warning: string | undefined;
  if (profile?.projection && !graph.representation) {
    warning =
      'the reference profile projects the [CLS] representation, but the graph has no ' +
      "'cls_representation' output (convert the model again to add it): those features are not watched";
    profile = withoutProjection(profile);
  }
  const projection = profile?.projection;
  const features = new FeatureVectors({ unknownId: tokenizer.unknownId, positiveId, projection });
  const monitor = new Monitor({
    reference: profile,
    ...(reference ? { referencePath: reference.path } : {}),
    referenceSize: config.monitorReferenceSize,
    windowSeconds: config.monitorWindowSeconds,
    windowMaxTexts: config.monitorWindowMaxTexts,
    minTexts: config.monitorMinTexts,
    psiWarning: config.monitorPsiWarning,
    psiAlert: config.monitorPsiAlert,
    consecutive: config.monitorConsecutive,
    minAccuracy: config.monitorMinAccuracy,
    maxAccuracyDrop: config.monitorMaxAccuracyDrop,
    minFeedback: config.monitorMinFeedback,
    feedbackWindow: config.monitorFeedbackWindow,
    labels,
    positiveId,
  });
  const layout = JSON.stringify({ features: TEXT_FEATURES, projection: projection ?? null });
  const digest = createHash('sha256').update(layout).digest('base64url').slice(0, 16);
  // Learnt from the first traffic, the reference has no projection (there is none to learn
  // the components from): the text features and the request's.
  const featureNames = profile ? profileFeatures(profile) : [...TEXT_FEATURES, REQUEST_FEATURE];
  return { monitor, features, cacheScope: `features-${digest}`, featureNames, warning };
}

/** The profile without its representation features and projection. */
function withoutProjection(profile: ReferenceProfile): ReferenceProfile {
  const features = Object.fromEntries(
    Object.entries(profile.features).filter(([name]) => !name.startsWith('representation_')),
  );
  const copy: { -readonly [K in keyof ReferenceProfile]?: ReferenceProfile[K] } = {
    ...profile,
    features,
  };
  delete copy.projection;
  return copy as ReferenceProfile;
}
