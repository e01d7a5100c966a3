/**
 * The seed profile through the balancer while a scenario does something to the fleet, cut
 * into named phases: each phase's requests, failures by kind, /predict latency and cache
 * hit ratio (x-cache-hits) come from the one request log, by start time.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { loadProfile, parseStages } from '../../src/load/profile.js';
import { RequestLog, type LatencySummary, type SeriesPoint } from '../../src/load/request-log.js';
import { runLoad, type LoadResult } from '../../src/load/run-load.js';
import type { Fleet } from './fleet.js';

/** One phase's figures. */
export interface PhaseFigures {
  readonly name: string;
  /** Seconds since the run began. */
  readonly fromS: number;
  readonly toS: number;
  /** Requests started in the phase (GET /health and POST /predict). */
  readonly requests: number;
  readonly failed: number;
  /** Failures by endpoint and kind (`predict status 502`, `health ECONNRESET`, …). */
  readonly failures: Record<string, number>;
  readonly predict: LatencySummary;
  /** Texts answered from cache / texts sent (x-cache-hits of the answers that succeeded). */
  readonly hitRatio: number;
}

/** What a scenario does while the load runs. */
export interface PhaseControl {
  readonly fleet: Fleet;
  /** Milliseconds since the load began (the request log's clock). */
  now(): number;
  /** Starts the next phase now. */
  phase(name: string): void;
  /** Notes something that happened (kept with its time, for the chart and the report). */
  event(what: string): void;
}

/** A run under load: its phases, events, per-second series and the runner's result. */
export interface PhasedRun {
  readonly phases: readonly PhaseFigures[];
  readonly events: readonly { readonly t: number; readonly what: string }[];
  readonly series: readonly SeriesPoint[];
  readonly result: LoadResult;
  readonly log: RequestLog;
}

/**
 * The compressed seed profile for a scenario: 1 → 10 users over 2 s, then 10 users until the
 * scenario is done (bounded at 20 min). The seed's ramp-down is left out: the scenario's
 * last phase ends the run. Same mix of texts, same closed loop, no think time.
 */
export function scenarioProfile(): ReturnType<typeof loadProfile> {
  return loadProfile({ stages: parseStages('2s:10,20m:10') });
}

/** Runs `scenario` while the profile runs through the balancer; the first phase is `first`. */
export async function underLoad(
  fleet: Fleet,
  first: string,
  scenario: (control: PhaseControl) => Promise<void>,
): Promise<PhasedRun> {
  const log = new RequestLog();
  const abort = new AbortController();
  let clock: (() => number) | undefined;
  const load = runLoad({
    baseUrl: fleet.url,
    profile: scenarioProfile(),
    log,
    signal: abort.signal,
    onStart: (now) => (clock = now),
    metricsUrls: fleet.replicas.map((r) => r.url),
    metricsEveryMs: 1000,
    maxRequests: 20_000_000,
    warmUpMs: 0,
  });
  while (!clock) await delay(5);
  const now = clock;
  const marks: { name: string; t: number }[] = [{ name: first, t: 0 }];
  const events: { t: number; what: string }[] = [];
  const control: PhaseControl = {
    fleet,
    now,
    phase: (name) => marks.push({ name, t: now() }),
    event: (what) => events.push({ t: now() / 1000, what }),
  };
  try {
    await scenario(control);
  } finally {
    abort.abort();
  }
  const result = await load;
  const end = result.durationS * 1000;
  const phases = marks.map((mark, i): PhaseFigures => {
    const to = marks[i + 1]?.t ?? Infinity;
    const failures = log.errorsBetween(mark.t, to);
    return {
      name: mark.name,
      fromS: mark.t / 1000,
      toS: Math.min(to, end) / 1000,
      requests: log.countBetween(mark.t, to),
      failed: Object.values(failures).reduce((a, b) => a + b, 0),
      failures,
      predict: log.summary('predict', mark.t, to),
      hitRatio: log.cacheHitRatio(mark.t, to),
    };
  });
  return { phases, events, series: result.series, result, log };
}

/** Sums of the phases: every request of the run. */
export function totals(run: PhasedRun): { requests: number; failed: number } {
  return run.phases.reduce(
    (sum, p) => ({ requests: sum.requests + p.requests, failed: sum.failed + p.failed }),
    { requests: 0, failed: 0 },
  );
}
