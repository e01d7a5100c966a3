/**
 * bench:serve part (5): what the monitor (MONITOR=1, src/monitoring/) costs /predict. Two
 * services run side by side, identical but for MONITOR, and take turns in many short paired
 * rounds (the order swapped each round), so a change in what else the machine runs lands on
 * both halves of a round alike:
 *  - uncached: part (2)'s pass (16 clients, one sentence each, no cache) on a slice of the
 *    sentences, where the monitor adds the descriptors, the prediction features and the
 *    projection to every computed text;
 *  - seed profile: the course's load profile (load/profile.json: 10 users, each GET /health
 *    then POST /predict with no think time, 95% of the bodies the same three texts), each
 *    service with its own Redis, for a fixed time: nearly every text is a cache hit, and the
 *    monitor replays the stored vector.
 * Each round's ratio (on / off) is printed; the target is on their median: ≥ 0.97.
 */
import { Client } from 'undici';
import type { ChildServer } from '../../../devkit/child-service.js';
import { startServiceChild } from './start-service.js';
import { RedisServer } from '../../../devkit/redis-server.js';
import { threadCpuSeconds } from '../../../devkit/thread-cpu.js';
import { bodyPicker, loadProfile } from '../../../src/load/profile.js';
import { missThroughput } from '../timed-requests.js';
import { CLIENTS } from './misses.js';
import { median, type ReportTable } from './report-table.js';
import { assertServesGraph } from './same-graph.js';
import type { ServeContext } from './serve-context.js';

/** The target: the monitor may cost /predict at most 3 %. */
export const MONITOR_RATIO_TARGET = 0.97;

/**
 * Each round's throughput, monitor on and off (sequences/s or /predict per s), and the
 * service's main-thread CPU per text or request in µs over the same pass: a shared
 * machine's other load moves the first more than the second.
 */
export interface PairedRounds {
  readonly on: number[];
  readonly off: number[];
  readonly onCpuUs: number[];
  readonly offCpuUs: number[];
}

/** A pass's throughput and how many texts or requests it completed. */
interface Pass {
  readonly rate: number;
  readonly done: number;
}

/** What part (5) measured (both undefined when it did not run). */
export interface MonitorCost {
  readonly monitorUncached: PairedRounds | undefined;
  readonly monitorSeedProfile: PairedRounds | undefined;
}

export const NO_MONITOR_COST: MonitorCost = {
  monitorUncached: undefined,
  monitorSeedProfile: undefined,
};

/** Sentences per uncached pass: a second or two of work on the base model. */
const PASS_SENTENCES = 96;
/** Length of one side of a seed-profile round. */
const SEED_ROUND_MS = 1_500;

/** Two services, MONITOR=1 and MONITOR=0, with `env` on top of the run's. */
async function startPair(
  ctx: ServeContext,
  env: (monitor: '0' | '1') => Record<string, string>,
): Promise<{ on: ChildServer; off: ChildServer }> {
  const on = await startServiceChild(ctx, { ...env('1'), MONITOR: '1' });
  try {
    const off = await startServiceChild(ctx, { ...env('0'), MONITOR: '0' });
    try {
      await assertServesGraph(on.baseUrl, ctx.serviceGraph.path);
      await assertServesGraph(off.baseUrl, ctx.serviceGraph.path);
      return { on, off };
    } catch (error) {
      await off.stop();
      throw error;
    }
  } catch (error) {
    await on.stop();
    throw error;
  }
}

/** The main thread's CPU seconds of a child process (its thread id is its pid). */
const mainThreadCpu = (pid: number): number => threadCpuSeconds(pid).get(pid) ?? 0;

/** `measure(service, round)` on each service, `rounds` times, the order swapped every round. */
async function pairedRounds(
  rounds: number,
  pair: { on: ChildServer; off: ChildServer },
  measure: (service: ChildServer, round: number) => Promise<Pass>,
): Promise<PairedRounds> {
  const result: PairedRounds = { on: [], off: [], onCpuUs: [], offCpuUs: [] };
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? (['on', 'off'] as const) : (['off', 'on'] as const);
    for (const side of order) {
      const service = pair[side];
      const cpu = mainThreadCpu(service.pid);
      const pass = await measure(service, round);
      result[side].push(pass.rate);
      result[side === 'on' ? 'onCpuUs' : 'offCpuUs'].push(
        ((mainThreadCpu(service.pid) - cpu) * 1e6) / pass.done,
      );
    }
  }
  return result;
}

/**
 * The load profile's plateau for `ms`: its users, each sending GET /health then POST
 * /predict with the profile's bodies, back to back on its own keep-alive connection; the
 * completed /predict per second.
 */
async function seedProfileRate(baseUrl: string, ms: number): Promise<Pass> {
  const profile = loadProfile();
  const pick = bodyPicker(profile);
  const userCount = Math.max(...profile.stages.map((stage) => stage.target));
  const users = Array.from({ length: userCount }, () => new Client(baseUrl));
  let predicts = 0;
  let errors = 0;
  const start = performance.now();
  const end = start + ms;
  await Promise.all(
    users.map(async (client) => {
      while (performance.now() < end) {
        const health = await client.request({ method: 'GET', path: '/health' });
        await health.body.text();
        const res = await client.request({
          method: 'POST',
          path: '/predict',
          headers: { 'content-type': 'application/json' },
          body: pick().json,
        });
        await res.body.text();
        if (res.statusCode === 200) predicts++;
        else errors++;
      }
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  await Promise.all(users.map((client) => client.close()));
  if (errors > 0) throw new Error(`${errors} /predict answers were not 200`);
  return { rate: predicts / seconds, done: predicts };
}

/** Part (5): the uncached pass, then the seed profile, each in paired rounds. */
export async function measureMonitorCost(ctx: ServeContext): Promise<MonitorCost> {
  const rounds = ctx.quick ? 6 : 12;
  const { sentences } = ctx;
  // Each round its own slice, the same for both services of the round.
  const slice = (round: number): readonly string[] => {
    const from = (round * PASS_SENTENCES) % Math.max(1, sentences.length - PASS_SENTENCES);
    return sentences.slice(from, from + PASS_SENTENCES);
  };
  const uncached = await startPair(ctx, () => ({ CACHE_MEMORY_BYTES: '0' }));
  let monitorUncached: PairedRounds;
  try {
    for (const service of [uncached.on, uncached.off])
      await missThroughput(service.baseUrl, sentences.slice(0, 64), CLIENTS); // warm-up
    monitorUncached = await pairedRounds(rounds, uncached, async (service, round) => {
      const texts = slice(round);
      const { seqPerS } = await missThroughput(service.baseUrl, texts, CLIENTS);
      return { rate: seqPerS, done: texts.length };
    });
  } finally {
    await Promise.all([uncached.on.stop(), uncached.off.stop()]);
  }

  const redis = { on: await RedisServer.start(), off: await RedisServer.start() };
  try {
    const seeded = await startPair(ctx, (monitor) => ({
      REDIS_URL: (monitor === '1' ? redis.on : redis.off).url,
    }));
    try {
      for (const service of [seeded.on, seeded.off]) await seedProfileRate(service.baseUrl, 500); // warm-up: the texts reach the cache
      const monitorSeedProfile = await pairedRounds(rounds, seeded, (service) =>
        seedProfileRate(service.baseUrl, SEED_ROUND_MS),
      );
      return { monitorUncached, monitorSeedProfile };
    } finally {
      await Promise.all([seeded.on.stop(), seeded.off.stop()]);
    }
  } finally {
    await Promise.all([redis.on.stop(), redis.off.stop()]);
  }
}

/** The rounds' ratios (on / off), in round order. */
export function roundRatios(paired: PairedRounds): number[] {
  return paired.on.map((value, i) => value / (paired.off[i] as number));
}

/** One part's lines: the medians, each round's ratio, and their median against the target. */
function addPaired(table: ReportTable, what: string, unit: string, paired: PairedRounds): void {
  const mid = (values: readonly number[]) => median([...values].sort((a, b) => a - b));
  table.add(
    `(5) ${what}, monitor on / off, medians`,
    `${mid(paired.on).toFixed(1)} / ${mid(paired.off).toFixed(1)} ${unit}`,
  );
  const ratios = roundRatios(paired);
  table.add(`    each round's ratio (${ratios.length})`, ratios.map((r) => r.toFixed(2)).join(' '));
  const ratio = mid(ratios);
  table.add(
    "    median of the rounds' ratios",
    ratio.toFixed(3),
    `≥ ${MONITOR_RATIO_TARGET}`,
    ratio >= MONITOR_RATIO_TARGET,
  );
  const sum = (values: readonly number[]) => values.reduce((a, b) => a + b, 0);
  table.add(
    `    main-thread CPU per ${unit === 'seq/s' ? 'text' : '/predict'}, on / off (all rounds)`,
    `${(sum(paired.onCpuUs) / paired.onCpuUs.length).toFixed(1)} / ${(sum(paired.offCpuUs) / paired.offCpuUs.length).toFixed(1)} µs`,
    '(10 ms ticks)',
  );
}

/** Part (5)'s lines of the report. */
export function addMonitorRows(cost: MonitorCost, table: ReportTable): void {
  if (cost.monitorUncached)
    addPaired(table, `all misses, ${CLIENTS} clients × 1 text`, 'seq/s', cost.monitorUncached);
  if (cost.monitorSeedProfile)
    addPaired(table, 'seed load profile + Redis, 10 users', '/predict/s', cost.monitorSeedProfile);
}
