/**
 * One level of bench:overload: `clients` closed-loop clients, each on its own keep-alive
 * connection, each sending one request of `textsPerRequest` unique texts at a time, for a
 * bounded window; a separate prober times GET /health meanwhile. A client refused with 429
 * either waits what Retry-After says (a well-behaved client) or sends again at once (the
 * worst case).
 */
import { setMaxListeners } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from 'undici';
import { startHealthProber } from './health-prober.js';

/** What a client does after a 429. */
export type RetryPolicy = 'retry-after' | 'immediate';

/** With no Retry-After to read, a well-behaved client backs off this long (ms), jittered. */
const BACKOFF_MS = 100;
/** The prober's pause between two GET /health. */
const PROBE_EVERY_MS = 50;

/** SST-2 sentences made unique per request: nothing is cached or coalesced. */
export class UniqueTexts {
  private next = 0;
  constructor(private readonly sentences: readonly string[]) {}

  take(count: number): string[] {
    return Array.from({ length: count }, () => {
      const n = this.next++;
      return `${this.sentences[n % this.sentences.length]} ${n}`;
    });
  }
}

export interface LevelOptions {
  readonly baseUrl: string;
  readonly clients: number;
  readonly textsPerRequest: number;
  readonly policy: RetryPolicy;
  /** Length of the window goodput is measured over. */
  readonly seconds: number;
  /** After the window, how long requests still in flight are awaited (for their latency). */
  readonly drainSeconds: number;
  readonly texts: UniqueTexts;
  /** Called the moment the window closes, before the drain (e.g. to scrape /metrics). */
  readonly atWindowEnd?: () => Promise<void>;
}

/** Percentiles in ms; Infinity when a request had no answer by the end of the drain. */
export interface Percentiles {
  readonly p50: number;
  readonly p99: number;
}

export interface LevelResult {
  readonly clients: number;
  readonly policy: RetryPolicy;
  /** Texts answered 200 within the window, per second. */
  readonly goodput: number;
  /** Requests sent in the window and answered 200 (in the window or the drain after it). */
  readonly accepted: number;
  /** Requests answered 429. */
  readonly refused: number;
  /** Other answers (504, 503, 5xx) and transport errors. */
  readonly failed: number;
  /** Requests sent in the window still unanswered at the end of the drain (then aborted). */
  readonly unfinished: number;
  readonly acceptedMs: Percentiles;
  readonly refusedMs: Percentiles;
  readonly healthMs: Percentiles;
  /** Health probes that did not get 200. */
  readonly healthFailures: number;
  /** Largest Retry-After seen, in seconds (0: none). */
  readonly maxRetryAfterS: number;
  /** Cores this process (the load generator) used during the window. */
  readonly generatorCores: number;
}

/** The value at quantile `q` of `values` (any order); NaN when empty. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
}

const percentiles = (values: readonly number[]): Percentiles => ({
  p50: quantile(values, 0.5),
  p99: quantile(values, 0.99),
});

/** Runs one level and reports it. Every wait is bounded by the window plus the drain. */
export async function runLevel(options: LevelOptions): Promise<LevelResult> {
  const { baseUrl, clients, textsPerRequest, policy, texts } = options;
  const start = performance.now();
  const windowEnd = start + options.seconds * 1000;
  const stop = new AbortController(); // the window is over: no new request, no more waiting
  const abort = new AbortController(); // the drain is over: in-flight requests are cut
  // Every request of every client listens on these two.
  setMaxListeners(Number.POSITIVE_INFINITY, stop.signal, abort.signal);
  const stopped = sleep(options.seconds * 1000, undefined, { signal: stop.signal }).catch(
    () => undefined,
  );
  let answered = 0;
  let refused = 0;
  let failed = 0;
  let unfinished = 0;
  let maxRetryAfterS = 0;
  const acceptedMs: number[] = [];
  const refusedMs: number[] = [];
  const cpuBefore = process.cpuUsage();
  // A pause that ends early when the window closes (and leaves no timer behind).
  const pause = (ms: number) =>
    sleep(ms, undefined, { signal: stop.signal }).catch(() => undefined);

  const loop = async (): Promise<void> => {
    const client = new Client(baseUrl, { headersTimeout: 0, bodyTimeout: 0 });
    try {
      while (performance.now() < windowEnd) {
        const sentAt = performance.now();
        let status: number;
        let retryAfter: string | string[] | undefined;
        try {
          const res = await client.request({
            method: 'POST',
            path: '/predict',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ text: texts.take(textsPerRequest) }),
            signal: abort.signal,
          });
          await res.body.text();
          status = res.statusCode;
          retryAfter = res.headers['retry-after'];
        } catch {
          if (abort.signal.aborted) {
            unfinished++;
            return;
          }
          status = 0;
        }
        const doneAt = performance.now();
        if (status === 200) {
          acceptedMs.push(doneAt - sentAt);
          if (doneAt <= windowEnd) answered += textsPerRequest;
        } else if (status === 429) {
          refused++;
          refusedMs.push(doneAt - sentAt);
          const seconds = Number(retryAfter);
          if (Number.isFinite(seconds)) maxRetryAfterS = Math.max(maxRetryAfterS, seconds);
          if (policy === 'retry-after') {
            const waitMs = Number.isFinite(seconds)
              ? seconds * 1000
              : BACKOFF_MS * (0.5 + Math.random());
            await pause(waitMs);
          }
        } else {
          failed++;
          if (status === 0) await pause(BACKOFF_MS);
        }
      }
    } finally {
      await client.destroy();
    }
  };

  const prober = startHealthProber(baseUrl, PROBE_EVERY_MS);
  const loops = Promise.all(Array.from({ length: clients }, loop));
  await stopped;
  stop.abort();
  const cpu = process.cpuUsage(cpuBefore);
  const health = await prober.stop();
  await options.atWindowEnd?.();
  const drainEnd = new AbortController();
  const drained = await Promise.race([
    loops.then(() => true),
    sleep(options.drainSeconds * 1000, false, { signal: drainEnd.signal }).catch(() => true),
  ]);
  drainEnd.abort();
  if (!drained) {
    abort.abort();
    await loops;
  }
  // An unanswered request counts as the slowest of all in the latency percentiles.
  for (let i = 0; i < unfinished; i++) acceptedMs.push(Number.POSITIVE_INFINITY);
  return {
    clients,
    policy,
    goodput: answered / options.seconds,
    accepted: acceptedMs.length - unfinished,
    refused,
    failed,
    unfinished,
    acceptedMs: percentiles(acceptedMs),
    refusedMs: percentiles(refusedMs),
    healthMs: percentiles(health.samples),
    healthFailures: health.failures,
    maxRetryAfterS,
    generatorCores: (cpu.user + cpu.system) / 1e6 / options.seconds,
  };
}
