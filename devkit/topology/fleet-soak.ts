/**
 * The memory soak of devkit/soak-run.ts across the topology: a stream of unique texts through
 * nginx to three replicas, each replica's RSS (/proc/<pid>/status) and main-thread heap (its
 * own /metrics) sampled side by side, each judged as the single soak is (after a warm-up, the
 * last third's RSS peak against the first third's).
 */
import { readHeapUsedBytes, readRssBytes } from '../proc-memory.js';
import { rssGrowth, runSoak, type MemorySample, type RssGrowth } from '../soak-run.js';
import { Fleet } from './fleet.js';

export interface FleetSoakOptions {
  readonly replicas: number;
  readonly durationMs: number;
  readonly sampleEveryMs: number;
  readonly clients: number;
  readonly textsPerRequest: number;
  readonly warmupSeconds: number;
  /**
   * Texts through the fleet before the judged time starts (then `warmupSeconds` is when they
   * were answered): V8 sizes a replica's heap after a volume of allocation, and each replica
   * sees a third of the texts.
   */
  readonly warmupTexts?: number;
  /** Environment of every replica. */
  readonly env: Readonly<Record<string, string>>;
  readonly serviceRoot?: string;
  /**
   * Texts per second over all clients; unset, as fast as answered. Paced, V8 sizes each
   * replica's heap the same way whatever else the machine runs (devkit/soak-run.ts).
   */
  readonly textsPerSecond?: number;
}

export interface FleetSoakResult {
  /** When the judged part began. */
  readonly warmupSeconds: number;
  readonly requests: number;
  readonly texts: number;
  readonly errors: number;
  readonly firstErrors: readonly string[];
  readonly replicas: readonly {
    readonly index: number;
    readonly samples: readonly MemorySample[];
    readonly growth: RssGrowth;
  }[];
}

/** Starts the fleet, soaks it through nginx, samples every replica, stops the fleet. */
export async function runFleetSoak(options: FleetSoakOptions): Promise<FleetSoakResult> {
  const fleet = await Fleet.start({
    replicas: options.replicas,
    env: options.env,
    ...(options.serviceRoot ? { serviceRoot: options.serviceRoot } : {}),
  });
  try {
    const series = fleet.replicas.map(() => [] as MemorySample[]);
    const started = Date.now();
    let sampling = Promise.resolve();
    const sample = async (): Promise<void> => {
      const atSeconds = (Date.now() - started) / 1000;
      await Promise.all(
        fleet.replicas.map(async (replica, i) => {
          try {
            const heapUsedBytes = await readHeapUsedBytes(replica.url);
            const rssBytes = readRssBytes(replica.pid as number);
            series[i]!.push({ atSeconds, rssBytes, heapUsedBytes, texts: 0 });
          } catch {
            // a missed sample; the judgement needs only a few per third
          }
        }),
      );
    };
    await sample();
    const timer = setInterval(() => (sampling = sampling.then(sample)), options.sampleEveryMs);
    let soak;
    try {
      soak = await runSoak({
        baseUrl: fleet.url,
        pid: fleet.replicas[0]!.pid as number,
        durationMs: options.durationMs,
        // Its own sampler reads one replica through nginx; this one reads each directly.
        sampleEveryMs: options.durationMs,
        clients: options.clients,
        textsPerRequest: options.textsPerRequest,
        ...(options.textsPerSecond ? { textsPerSecond: options.textsPerSecond } : {}),
        ...(options.warmupTexts ? { warmupTexts: options.warmupTexts } : {}),
      });
    } finally {
      clearInterval(timer);
      await sampling;
    }
    await sample();
    return {
      warmupSeconds: options.warmupTexts ? soak.warmupSeconds : options.warmupSeconds,
      requests: soak.requests,
      texts: soak.texts,
      errors: soak.errors,
      firstErrors: soak.firstErrors,
      replicas: series.map((samples, index) => ({
        index,
        samples,
        growth: rssGrowth(
          samples,
          options.warmupTexts ? soak.warmupSeconds : options.warmupSeconds,
        ),
      })),
    };
  } finally {
    await fleet.stop();
  }
}
