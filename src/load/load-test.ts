/**
 * One load test as the `loadtest` command and `npm run load` run it: the seed profile (whole
 * or compressed) as a closed loop, or the open model, against a base URL, with a plain-text
 * report. Charts are drawn by load/ (their renderer is a development dependency).
 */
import { formatResult } from './format-result.js';
import {
  findSustainedRate,
  runOpenStep,
  type OpenStepResult,
  type SustainedRateResult,
} from './open-model.js';
import {
  COMPRESSED_TIME_SCALE,
  loadProfile,
  parseStages,
  profileDurationMs,
  type LoadProfile,
} from './profile.js';
import { runLoad, type LoadResult } from './run-load.js';

/** `seed`: the whole 10.5-minute profile; `compressed`: a quarter of its length; `open`: the open model. */
export type ProfileName = 'seed' | 'compressed' | 'open';

export interface LoadTestOptions {
  readonly url: string;
  readonly profile: ProfileName;
  /** The whole seed profile (as `--profile seed`), or the open model's longer steps. */
  readonly full?: boolean;
  /** Closed loop: other stages (`30s:10,7m:10,3m:0`) or every stage scaled. */
  readonly stages?: string;
  readonly timeScale?: number;
  readonly maxRequests?: number;
  /** Where /metrics is read (every replica behind a balancer); the URL by default. */
  readonly metricsUrls?: readonly string[];
  /** The no-op server answers three rows to anything. */
  readonly checkRowCount?: boolean;
  /** Open model: one step at this rate (requests/s); unset, the search for the highest rate. */
  readonly rate?: number;
  /** Open model: the p99 budget (ms) a sustained rate must stay under. */
  readonly p99BudgetMs?: number;
  readonly startRate?: number;
  /** Open model: seconds per step (5, or 20 with `full`). */
  readonly stepSeconds?: number;
  readonly textsPerRequest?: number;
}

export type LoadTestOutcome =
  | {
      readonly kind: 'closed';
      readonly profile: LoadProfile;
      readonly result: LoadResult;
      readonly passed: boolean;
      readonly report: string;
    }
  | {
      readonly kind: 'open';
      readonly result: OpenStepResult | SustainedRateResult;
      readonly passed: boolean;
      readonly report: string;
    };

/** The closed-loop profile the options name. */
export function selectProfile(options: LoadTestOptions): LoadProfile {
  if (options.stages) return loadProfile({ stages: parseStages(options.stages) });
  const whole = options.full === true || options.profile === 'seed';
  const timeScale = options.timeScale ?? (whole ? 1 : COMPRESSED_TIME_SCALE);
  return loadProfile({ timeScale });
}

const ms = (v: number): string => (Number.isFinite(v) ? v.toFixed(1) : '-');

/** One open-model step as a table row. */
export function formatStep(step: OpenStepResult, sustained?: boolean): string {
  const verdict = sustained === undefined ? '' : sustained ? '  sustained' : '  not sustained';
  const errors = Object.keys(step.errors).length ? ` errors ${JSON.stringify(step.errors)}` : '';
  return `  ${String(step.ratePerS).padStart(6)}/s  sent ${step.sent}, ok ${step.ok}, dropped ${step.dropped}, ${step.achievedPerS.toFixed(1)} ok/s; p50 ${ms(step.latency.p50Ms)} p90 ${ms(step.latency.p90Ms)} p99 ${ms(step.latency.p99Ms)} max ${ms(step.latency.maxMs)} ms; cache hits ${step.cacheHits}${errors}${verdict}`;
}

function formatTimings(timings: OpenStepResult['serverTimings']): string[] {
  return Object.entries(timings).map(
    ([header, s]) =>
      `  ${header}: p50 ${ms(s.p50Ms)} p90 ${ms(s.p90Ms)} p99 ${ms(s.p99Ms)} max ${ms(s.maxMs)} ms (${s.count})`,
  );
}

/** Runs the load test the options describe; `progress` gets a line per open-model step. */
export async function runLoadTest(
  options: LoadTestOptions,
  progress: (line: string) => void = () => undefined,
): Promise<LoadTestOutcome> {
  if (options.profile === 'open') {
    const stepMs = (options.stepSeconds ?? (options.full ? 20 : 5)) * 1000;
    const common = {
      baseUrl: options.url,
      durationMs: stepMs,
      textsPerRequest: options.textsPerRequest ?? 1,
    };
    if (options.rate !== undefined) {
      const step = await runOpenStep({ ...common, ratePerS: options.rate });
      const passed = step.ok === step.sent && step.dropped === 0;
      const report = [
        `open model: ${options.url}, ${options.rate} requests/s of unique texts for ${stepMs / 1000} s`,
        formatStep(step),
        ...formatTimings(step.serverTimings),
      ].join('\n');
      return { kind: 'open', result: step, passed, report };
    }
    const budget = options.p99BudgetMs ?? 500;
    const search = await findSustainedRate({
      ...common,
      p99BudgetMs: budget,
      startRatePerS: options.startRate ?? 10,
      onStep: (step, ok) => progress(formatStep(step, ok)),
    });
    const best = search.steps.filter((s) => s.sustained).at(-1);
    const report = [
      `open model: ${options.url}, unique texts, ${stepMs / 1000} s per step, p99 budget ${budget} ms`,
      ...search.steps.map((s) => formatStep(s, s.sustained)),
      `  highest rate sustained: ${Number.isFinite(search.sustainedPerS) ? `${search.sustainedPerS}/s` : 'none'}`,
      ...(best ? formatTimings(best.serverTimings) : []),
    ].join('\n');
    return { kind: 'open', result: search, passed: Number.isFinite(search.sustainedPerS), report };
  }
  const profile = selectProfile(options);
  progress(`load: ${(profileDurationMs(profile) / 1000).toFixed(0)} s against ${options.url} …`);
  const result = await runLoad({
    baseUrl: options.url,
    profile,
    maxRequests: options.maxRequests ?? 5_000_000,
    checkRowCount: options.checkRowCount ?? true,
    ...(options.metricsUrls ? { metricsUrls: options.metricsUrls } : {}),
  });
  const t = profile.thresholds;
  const errorRate = result.errorCount / Math.max(1, result.requests);
  const passed = errorRate <= t.maxErrorRate && result.endedGracefully;
  const verdict = (ok: boolean): string => (ok ? 'ok' : 'missed');
  const report = [
    formatResult(
      `${options.full || options.profile === 'seed' ? 'seed' : 'compressed'} profile`,
      result,
    ),
    ...formatTimings(result.serverTimings),
    `  thresholds: /predict p99 < ${t.predictP99Ms} ms ${verdict(result.predict.p99Ms < t.predictP99Ms)}, the seed's 2 s ${verdict(result.predict.p99Ms < 2000)}; errors ≤ ${t.maxErrorRate} ${verdict(errorRate <= t.maxErrorRate)}`,
  ].join('\n');
  return { kind: 'closed', profile, result, passed, report };
}
