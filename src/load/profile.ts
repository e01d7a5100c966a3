import seedProfile from './profile.json' with { type: 'json' };

/** One stage of the ramp: reach `target` virtual users linearly over `durationMs`. */
export interface Stage {
  readonly durationMs: number;
  readonly target: number;
}

/** The load profile of src/load/profile.json, shared with the k6 script (load/k6/predict.js). */
export interface LoadProfile {
  readonly startVUs: number;
  readonly stages: readonly Stage[];
  /** Share of iterations (0..1) that send `repeatedTexts`; the others send `shuffledTexts`. */
  readonly repeatedShare: number;
  readonly repeatedTexts: readonly string[];
  readonly shuffledTexts: readonly string[];
  readonly thresholds: {
    readonly predictP99Ms: number;
    readonly healthP99Ms: number;
    readonly maxErrorRate: number;
  };
}

/** Parses a k6 duration: `30s`, `7m`, `1m30s`, `250ms`, `1h`. */
export function parseDuration(text: string): number {
  const units: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 };
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ms|h|m|s)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text.trim()) {
    throw new Error(`not a duration: '${text}' (expected e.g. 30s, 7m, 1m30s, 250ms)`);
  }
  return parts.reduce((ms, [, n, unit]) => ms + Number(n) * (units[unit as string] as number), 0);
}

/** Parses `--stages 5s:10,20s:10,5s:0` (duration:target, comma-separated). */
export function parseStages(text: string): Stage[] {
  return text.split(',').map((part) => {
    const [duration, target] = part.split(':');
    if (duration === undefined || target === undefined || !/^\d+$/.test(target)) {
      throw new Error(`not a stage: '${part}' (expected duration:target, e.g. 30s:10)`);
    }
    return { durationMs: parseDuration(duration), target: Number(target) };
  });
}

/**
 * The seed profile (src/load/profile.json: imported, so the build ships it in dist/ beside
 * this file), optionally with other stages or every stage's length scaled.
 */
export function loadProfile(overrides: { stages?: Stage[]; timeScale?: number } = {}): LoadProfile {
  const raw = seedProfile as Omit<LoadProfile, 'stages'> & {
    stages: { duration: string; target: number }[];
  };
  const scale = overrides.timeScale ?? 1;
  const stages =
    overrides.stages ??
    raw.stages.map((s) => ({ durationMs: parseDuration(s.duration), target: s.target }));
  return {
    startVUs: raw.startVUs,
    stages: stages.map((s) => ({ durationMs: s.durationMs * scale, target: s.target })),
    repeatedShare: raw.repeatedShare,
    repeatedTexts: raw.repeatedTexts,
    shuffledTexts: raw.shuffledTexts,
    thresholds: raw.thresholds,
  };
}

/**
 * The compressed profile: every stage at a quarter of its length (2 min 38 s instead of
 * 10 min 30 s), the same shape, users and texts. The figures of the Python original on this
 * machine were measured on it.
 */
export const COMPRESSED_TIME_SCALE = 0.25;

/** Total length of the stages in ms. */
export function profileDurationMs(profile: LoadProfile): number {
  return profile.stages.reduce((sum, s) => sum + s.durationMs, 0);
}

/**
 * Virtual users wanted `elapsedMs` into the run: linear within each stage from the previous
 * target, as k6's ramping-vus executor does; 0 once every stage is over.
 */
export function targetVUs(profile: LoadProfile, elapsedMs: number): number {
  let from = profile.startVUs;
  let start = 0;
  for (const stage of profile.stages) {
    if (elapsedMs < start + stage.durationMs) {
      const progress = (elapsedMs - start) / stage.durationMs;
      return Math.round(from + (stage.target - from) * progress);
    }
    from = stage.target;
    start += stage.durationMs;
  }
  return 0;
}

/** The body of one /predict request and how many texts it carries. */
export interface PredictBody {
  readonly json: string;
  readonly texts: number;
}

/**
 * Builds the request mix: `repeatedShare` of the bodies are the fixed three texts (built once),
 * the others a fresh shuffle of the ten sentences. `random` is injectable for tests.
 */
export function bodyPicker(
  profile: LoadProfile,
  random: () => number = Math.random,
): () => PredictBody {
  const repeated = {
    json: JSON.stringify({ text: profile.repeatedTexts }),
    texts: profile.repeatedTexts.length,
  };
  return () => {
    if (random() < profile.repeatedShare) return repeated;
    const texts = [...profile.shuffledTexts];
    for (let i = texts.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [texts[i], texts[j]] = [texts[j] as string, texts[i] as string];
    }
    return { json: JSON.stringify({ text: texts }), texts: texts.length };
  };
}
