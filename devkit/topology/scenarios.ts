/**
 * The fleet's scenarios (issue #14), each under the compressed seed profile through nginx and
 * each judged on counted requests: what the client saw (every request of the request log,
 * by phase) and what the replicas and Redis counted (/metrics, INFO).
 */
import { setTimeout as delay } from 'node:timers/promises';
import { scrapeMetrics, type MetricSamples } from '../../src/load/server-metrics.js';
import type { Fleet } from './fleet.js';
import { totals, underLoad, type PhaseControl, type PhasedRun } from './under-load.js';

/** One judged claim of a scenario. */
export interface Check {
  readonly claim: string;
  readonly ok: boolean;
  /** The counts it was judged on. */
  readonly detail: string;
}

/** A scenario's run, its claims and the figures it reports besides the phases. */
export interface ScenarioReport {
  readonly name: string;
  readonly title: string;
  readonly run: PhasedRun;
  readonly checks: readonly Check[];
  readonly figures: Readonly<Record<string, number>>;
}

/** Phase lengths: the CI run's short ones, or `--full`'s. */
export interface ScenarioTimes {
  /** Load before anything happens, and after the fleet is whole again. */
  readonly steadyMs: number;
  /** How long Redis stays down or hung. */
  readonly outageMs: number;
  /** Between one replica ready again and the next restart. */
  readonly betweenRestartsMs: number;
}

/**
 * Figures one scenario measures for another: the Redis hang's latency is judged against the
 * Redis outage's (both answer every text without the cache).
 */
export interface SharedFigures {
  /** /predict p99 (ms) while Redis was down: every text computed, no Redis wait. */
  noCacheP99Ms?: number;
}

export const SHORT_TIMES: ScenarioTimes = {
  steadyMs: 3_000,
  outageMs: 3_000,
  betweenRestartsMs: 1_000,
};
export const FULL_TIMES: ScenarioTimes = {
  steadyMs: 20_000,
  outageMs: 20_000,
  betweenRestartsMs: 5_000,
};

/** The replicas' settings in every scenario (docs/benchmarks.md, "Topology", says why). */
export const SCENARIO_ENV = {
  // The in-process tier off: the profile's 13 texts would otherwise all be answered from
  // each replica's memory after a second, and Redis (shared between replicas, the subject
  // of three scenarios) would see no lookups at all.
  CACHE_MEMORY_BYTES: '0',
  // Long enough that no entry expires during a run: a text computed again is then a miss
  // the scenario caused, not an expiry.
  CACHE_TTL_SECONDS: '3600',
  REDIS_TIMEOUT_MS: '100',
  REDIS_CIRCUIT_RESET_MS: '2000',
} as const;

const check = (claim: string, ok: boolean, detail: string): Check => ({ claim, ok, detail });

function noFailures(run: PhasedRun): Check {
  const { requests, failed } = totals(run);
  const kinds = JSON.stringify(Object.assign({}, ...run.phases.map((p) => p.failures)));
  return check(
    'zero failed requests seen by the client',
    failed === 0 && requests > 0,
    `${failed} of ${requests} failed ${failed ? kinds : ''}`,
  );
}

async function scrapeAll(fleet: Fleet): Promise<(MetricSamples | undefined)[]> {
  return Promise.all(fleet.replicas.map((r) => scrapeMetrics(r.url)));
}

const counter = (samples: MetricSamples | undefined, key: string): number => samples?.get(key) ?? 0;
const COMPUTED = 'sentiment_computed_texts_total';
const PREDICT_OK =
  'sentiment_http_request_duration_seconds_count{route="/predict",method="POST",status="200"}';

/** POST /predict straight to one address; the answer's status and x-cache-hits. */
async function predictAt(
  url: string,
  texts: readonly string[],
): Promise<{ status: number; hits: number }> {
  const res = await fetch(`${url}/predict`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ text: texts }),
    signal: AbortSignal.timeout(10_000),
  });
  await res.text();
  return { status: res.status, hits: Number(res.headers.get('x-cache-hits')) };
}

/** Every text of the profile once through the balancer: in Redis before a scenario starts. */
export async function warmProfileTexts(fleet: Fleet, texts: readonly string[]): Promise<void> {
  const { status } = await predictAt(fleet.url, texts);
  if (status !== 200) throw new Error(`warming the profile's texts: ${status}`);
}

/**
 * A text computed on one replica is a cache hit on the others: while the profile runs, each
 * probe text (never sent before) goes straight to its owner, then to the other replicas.
 */
export async function sharedCache(
  fleet: Fleet,
  times: ScenarioTimes,
  _shared?: SharedFigures,
): Promise<ScenarioReport> {
  const probes = fleet.replicas.length * (times === FULL_TIMES ? 20 : 4);
  const answers: { owner: boolean; status: number; hits: number }[] = [];
  let before: (MetricSamples | undefined)[] = [];
  let after: (MetricSamples | undefined)[] = [];
  let storeWaitMs = 0;
  const run = await underLoad(fleet, 'profile only', async (c) => {
    await delay(times.steadyMs);
    c.phase('profile + probes');
    before = await scrapeAll(fleet);
    const tag = `${process.pid}-${Date.now()}`;
    for (let k = 0; k < probes; k++) {
      const text = `topology probe ${tag} number ${k}: a film I would watch again`;
      const owner = k % fleet.replicas.length;
      const keys = await fleet.redisKeys();
      const first = await predictAt(fleet.replicas[owner]!.url, [text]);
      answers.push({ owner: true, ...first });
      // The owner stores the result after answering (a write never delays an answer): the
      // others are asked once it is in Redis, as a later request would find it.
      const asked = c.now();
      while ((await fleet.redisKeys()) <= keys && c.now() - asked < 5_000) await delay(5);
      storeWaitMs = Math.max(storeWaitMs, c.now() - asked);
      for (const other of fleet.replicas.filter((r) => r.index !== owner))
        answers.push({ owner: false, ...(await predictAt(other.url, [text])) });
    }
    after = await scrapeAll(fleet);
    c.phase('profile only, after');
    await delay(times.steadyMs);
  });
  const computed = fleet.replicas.map(
    (_, i) => counter(after[i], COMPUTED) - counter(before[i], COMPUTED),
  );
  const owned = fleet.replicas.map((_, i) => Math.ceil((probes - i) / fleet.replicas.length));
  const owners = answers.filter((a) => a.owner);
  const others = answers.filter((a) => !a.owner);
  return {
    name: 'shared-cache',
    title: 'A text computed on one replica is a cache hit on the others',
    run,
    figures: {
      probes,
      computedOnFleet: computed.reduce((a, b) => a + b, 0),
      hitsOnOthers: others.filter((a) => a.hits === 1).length,
    },
    checks: [
      noFailures(run),
      check(
        'every probe answered 200',
        answers.every((a) => a.status === 200),
        `${answers.filter((a) => a.status !== 200).length} not 200`,
      ),
      check(
        'the owner computed each probe (x-cache-hits 0)',
        owners.every((a) => a.hits === 0),
        `${owners.filter((a) => a.hits !== 0).length} of ${owners.length} were hits`,
      ),
      check(
        'every other replica answered it from the shared cache (x-cache-hits 1)',
        others.every((a) => a.hits === 1),
        `${others.filter((a) => a.hits === 1).length} of ${others.length} hits`,
      ),
      check(
        "each replica's /metrics counted exactly the probes it owned as computed (the others' lookups were hits)",
        computed.every((n, i) => n === owned[i]),
        `computed per replica ${JSON.stringify(computed)}, owned ${JSON.stringify(owned)}`,
      ),
    ],
  };
}

/** SIGKILL one replica mid-run, then start it again. */
export async function replicaKill(
  fleet: Fleet,
  times: ScenarioTimes,
  _shared?: SharedFigures,
): Promise<ScenarioReport> {
  const victim = fleet.replicas[1]!;
  let servedAfter = 0;
  const run = await underLoad(fleet, 'three replicas', async (c) => {
    await delay(times.steadyMs);
    c.phase('replica 1 killed (SIGKILL), restarting');
    c.event('SIGKILL replica 1');
    await victim.signal('SIGKILL');
    await victim.start();
    c.event('replica 1 ready');
    c.phase('replica 1 back');
    const start = await scrapeMetrics(victim.url);
    await delay(times.steadyMs);
    servedAfter = counter(await scrapeMetrics(victim.url), PREDICT_OK) - counter(start, PREDICT_OK);
  });
  return {
    name: 'replica-kill',
    title: 'One replica killed (SIGKILL) mid-run and started again',
    run,
    figures: { servedByRestartedReplica: servedAfter },
    checks: [
      noFailures(run),
      check(
        'nginx sends the restarted replica traffic again',
        servedAfter > 0,
        `${servedAfter} /predict answered 200 by it after its restart`,
      ),
    ],
  };
}

/** SIGTERM each replica in turn, start it again and wait until it is ready. */
export async function rollingRestart(
  fleet: Fleet,
  times: ScenarioTimes,
  _shared?: SharedFigures,
): Promise<ScenarioReport> {
  const codes: (number | null)[] = [];
  const run = await underLoad(fleet, 'three replicas', async (c) => {
    await delay(times.steadyMs);
    for (const replica of fleet.replicas) {
      c.phase(`replica ${replica.index} draining and restarting`);
      c.event(`SIGTERM replica ${replica.index}`);
      codes.push(await replica.signal('SIGTERM'));
      await replica.start();
      c.event(`replica ${replica.index} ready`);
      await delay(times.betweenRestartsMs);
    }
    c.phase('all restarted');
    await delay(times.steadyMs);
  });
  return {
    name: 'rolling-restart',
    title: 'Rolling restart: SIGTERM each replica in turn, wait until ready',
    run,
    figures: { restarts: codes.length },
    checks: [
      noFailures(run),
      check(
        'every replica drained and exited 0 on SIGTERM',
        codes.every((code) => code === 0),
        `exit codes ${JSON.stringify(codes)}`,
      ),
    ],
  };
}

/** First second from `fromS` on whose hit ratio (x-cache-hits) reaches `level`. */
function recoveredAt(run: PhasedRun, fromS: number, level: number): number {
  const point = run.series.find((p) => p.t >= Math.floor(fromS) && p.hitRatio >= level);
  return point ? point.t - fromS : Number.NaN;
}

/** Redis killed (SIGKILL) mid-run and started again, empty. */
export async function redisKill(
  fleet: Fleet,
  times: ScenarioTimes,
  shared: SharedFigures,
): Promise<ScenarioReport> {
  let restartedAtS = 0;
  const run = await underLoad(fleet, 'Redis up', async (c) => {
    await delay(times.steadyMs);
    c.phase('Redis killed (SIGKILL)');
    c.event('SIGKILL redis-server');
    await fleet.redis.kill();
    await delay(times.outageMs);
    await fleet.redis.restart();
    restartedAtS = c.now() / 1000;
    c.event('redis-server restarted (empty)');
    c.phase('Redis back');
    await delay(times.steadyMs + 4_000);
  });
  const [up, down, back] = run.phases;
  shared.noCacheP99Ms = down?.predict.p99Ms;
  const recovery = recoveredAt(run, restartedAtS, 0.9);
  // The last steadyMs of the run: after the replicas reconnected (backoff ≤ 2 s) and refilled Redis.
  const lastS = run.result.durationS;
  const tail = run.log.cacheHitRatio((lastS - times.steadyMs / 1000) * 1000);
  return {
    name: 'redis-kill',
    title: 'Redis killed (SIGKILL) mid-run and restarted',
    run,
    figures: { recoverySeconds: recovery, tailHitRatio: tail },
    checks: [
      noFailures(run),
      check(
        'the cache answered nearly every text before',
        (up?.hitRatio ?? 0) > 0.95,
        `hit ratio ${up?.hitRatio.toFixed(3)}`,
      ),
      check(
        'with Redis down every text was computed (the outage was real)',
        (down?.hitRatio ?? 1) < 0.1,
        `hit ratio ${down?.hitRatio.toFixed(3)}`,
      ),
      check(
        'the hit ratio recovers once Redis is back (≥ 0.9 over the last steady phase)',
        tail >= 0.9,
        `last ${times.steadyMs / 1000} s: ${tail.toFixed(3)}; phase "Redis back" ${back?.hitRatio.toFixed(3)}; ≥ 0.9 again ${recovery.toFixed(0)} s after the restart`,
      ),
    ],
  };
}

/**
 * Redis hung (SIGSTOP) for longer than REDIS_TIMEOUT_MS, then SIGCONT. Commands sent to a
 * stopped Redis wait in its socket buffers and are all executed on SIGCONT, so the
 * commands Redis processed across the hang are the commands that piled up on the replicas.
 */
export async function redisHang(
  fleet: Fleet,
  times: ScenarioTimes,
  shared: SharedFigures,
): Promise<ScenarioReport> {
  const timeoutMs = Number(SCENARIO_ENV.REDIS_TIMEOUT_MS);
  const resetMs = Number(SCENARIO_ENV.REDIS_CIRCUIT_RESET_MS);
  let commands = Number.NaN;
  let infoCalls = 0;
  const run = await underLoad(fleet, 'Redis up', async (c: PhaseControl) => {
    await delay(times.steadyMs);
    const before = await fleet.redisInfo();
    infoCalls++;
    c.phase(`Redis hung (SIGSTOP ${times.outageMs} ms)`);
    c.event('SIGSTOP redis-server');
    fleet.redis.pause();
    await delay(times.outageMs);
    fleet.redis.resume();
    c.event('SIGCONT redis-server');
    c.phase('Redis resumed');
    // What piled up is executed at once on SIGCONT; the INFO sent after it is answered after.
    const after = await fleet.redisInfo();
    infoCalls++;
    commands =
      (after.get('total_commands_processed') ?? 0) -
      (before.get('total_commands_processed') ?? 0) -
      infoCalls;
    await delay(times.steadyMs);
  });
  const [, hung, resumed] = run.phases;
  // A hung Redis may cost a request its timeout on top of what the cache-less fleet takes
  // (the Redis outage's p99, when that scenario ran first), and no more.
  const reference = shared.noCacheP99Ms ?? HANG_P99_MARGIN_MS;
  const p99Bound = Math.ceil(timeoutMs + reference + HANG_P99_SLACK_MS);
  // What may reach the hung Redis: the commands sent before four timeouts in a row open
  // each replica's circuit (about one REDIS_TIMEOUT_MS of lookups at the rate before the
  // hang; twice that, for the writes of the misses), then one probe per replica per reset
  // period. Nothing in it grows with the hang's length but the probes.
  const [up] = run.phases;
  const predictPerS = (up?.predict.count ?? 0) / Math.max(0.001, (up?.toS ?? 1) - (up?.fromS ?? 0));
  const pileBound = Math.ceil(
    2 * predictPerS * (timeoutMs / 1000) +
      fleet.replicas.length * (Math.ceil(times.outageMs / resetMs) + 1),
  );
  return {
    name: 'redis-hang',
    title: `Redis hung (SIGSTOP, ${times.outageMs} ms > REDIS_TIMEOUT_MS ${timeoutMs} ms), then SIGCONT`,
    run,
    figures: {
      commandsPiledUp: commands,
      p99BoundMs: p99Bound,
      pileBound,
      requestsDuringHang: hung?.requests ?? 0,
    },
    checks: [
      noFailures(run),
      check(
        shared.noCacheP99Ms === undefined
          ? `p99 while hung within the Redis timeout plus ${HANG_P99_MARGIN_MS + HANG_P99_SLACK_MS} ms`
          : `p99 while hung within the Redis timeout over the p99 with Redis down (${reference.toFixed(1)} ms) plus ${HANG_P99_SLACK_MS} ms`,
        (hung?.predict.p99Ms ?? Infinity) <= p99Bound,
        `p99 ${hung?.predict.p99Ms.toFixed(1)} ms (bound ${p99Bound}); max ${hung?.predict.maxMs.toFixed(1)} ms`,
      ),
      check(
        'no pile-up: the commands sent to the hung Redis stay bounded (circuit open)',
        commands <= pileBound,
        `${commands} commands reached Redis during the hang (bound ${pileBound}) while the clients sent ${hung?.requests ?? 0} requests`,
      ),
      check(
        'the cache answers again after SIGCONT',
        (resumed?.hitRatio ?? 0) > 0.5,
        `hit ratio ${resumed?.hitRatio.toFixed(3)}`,
      ),
    ],
  };
}

/**
 * Without the outage's figure (the hang run alone): what computing a request's texts takes
 * under ten users on two shared cores when every lookup is a miss, beyond the timeout.
 */
export const HANG_P99_MARGIN_MS = 150;
/** Timer and scheduling noise between two phases measured apart. */
export const HANG_P99_SLACK_MS = 25;

/** Every scenario, in the order they run on one fleet. */
export const SCENARIOS = [sharedCache, replicaKill, rollingRestart, redisKill, redisHang] as const;
