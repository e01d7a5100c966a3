import { randomBytes } from 'node:crypto';
import { Pool } from 'undici';
import { RequestLog, type LatencySummary } from './request-log.js';
import { recordTimings } from './timing-headers.js';

/** One open-model step: requests arrive at a constant rate, whether or not earlier ones are done. */
export interface OpenStepOptions {
  readonly baseUrl: string;
  /** Requests started per second (k6's constant-arrival-rate `rate` per `timeUnit: '1s'`). */
  readonly ratePerS: number;
  readonly durationMs: number;
  /** Texts per request, every one never sent before (so every one a cache miss). */
  readonly textsPerRequest?: number;
  /**
   * Requests in flight at most (k6's `maxVUs`): an arrival that finds this many still open is
   * dropped and counted (k6's `dropped_iterations`), so a slow server cannot make the client
   * hold unbounded work.
   */
  readonly maxInFlight?: number;
  readonly timeoutMs?: number;
}

/** What one step measured. */
export interface OpenStepResult {
  readonly ratePerS: number;
  readonly durationS: number;
  /** Requests started, answered 200, and dropped for want of a free slot. */
  readonly sent: number;
  readonly ok: number;
  readonly dropped: number;
  /** 200 answers per second over the step. */
  readonly achievedPerS: number;
  /** Latency of every started request (failures included). */
  readonly latency: LatencySummary;
  readonly errors: Record<string, number>;
  /** Texts the server said it answered from cache (x-cache-hits; 0 when every text is new). */
  readonly cacheHits: number;
  /** The server's `x-*-time` headers as trends (ms), when it sends them. */
  readonly serverTimings: Record<string, LatencySummary>;
}

const WORDS = ['good', 'bad', 'film', 'plot', 'actors', 'slow', 'moving', 'funny', 'dull', 'sharp'];

/**
 * Texts nobody sent before: a random run id (so a second run against the same server, within
 * its cache TTL, still misses) and a counter, in words that tokenize like a short review.
 */
export class UniqueTexts {
  private readonly run = randomBytes(4).toString('hex');
  private next = 0;

  take(): string {
    const n = this.next++;
    const words = [0, 1, 2, 3].map((i) => WORDS[(n * 7 + i * 3) % WORDS.length]);
    return `review ${this.run} ${n.toString(36)} the ${words.join(' ')} and ${(n * 2654435761) % 1e9} stars`;
  }
}

/**
 * Runs one step of the open model: request n starts at n / rate seconds, on a pool of
 * keep-alive connections, each carrying `textsPerRequest` unique texts. A closed loop (the
 * seed profile) measures the cost of a request; an open one measures what users feel at a
 * given arrival rate, since a slow answer does not slow the arrivals down.
 */
export async function runOpenStep(
  options: OpenStepOptions,
  texts = new UniqueTexts(),
): Promise<OpenStepResult> {
  const maxInFlight = options.maxInFlight ?? 256;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const perRequest = options.textsPerRequest ?? 1;
  const pool = new Pool(options.baseUrl, { connections: maxInFlight, pipelining: 1 });
  const log = new RequestLog();
  const t0 = performance.now();
  const now = (): number => performance.now() - t0;
  let sent = 0;
  let ok = 0;
  let dropped = 0;
  let inFlight = 0;
  let cacheHits = 0;
  const open = new Set<Promise<void>>();

  const one = async (): Promise<void> => {
    const start = now();
    const body = JSON.stringify({ text: Array.from({ length: perRequest }, () => texts.take()) });
    try {
      const res = await pool.request({
        method: 'POST',
        path: '/predict',
        headers: { 'content-type': 'application/json' },
        body,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
      await res.body.text();
      const error = res.statusCode === 200 ? undefined : `status ${res.statusCode}`;
      const hits = Number(res.headers['x-cache-hits'] ?? 0);
      if (!error) {
        ok++;
        cacheHits += Number.isFinite(hits) ? hits : 0;
      }
      log.record('predict', start, now() - start, error, perRequest, hits);
      recordTimings(log, start, res.headers);
    } catch (err) {
      const code = (err as { code?: string }).code ?? (err as Error).name;
      log.record('predict', start, now() - start, code, perRequest);
    }
  };

  const intervalMs = 1000 / options.ratePerS;
  const total = Math.floor(options.durationMs / intervalMs);
  try {
    while (sent + dropped < total) {
      const due = (sent + dropped) * intervalMs;
      const wait = due - now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      // Every arrival that is due by now starts now (timers are coarse; arrivals are not).
      while (sent + dropped < total && (sent + dropped) * intervalMs <= now()) {
        if (inFlight >= maxInFlight) {
          dropped++;
          continue;
        }
        sent++;
        inFlight++;
        const p: Promise<void> = one().finally(() => {
          inFlight--;
          open.delete(p);
        });
        open.add(p);
      }
    }
    await Promise.all(open);
  } finally {
    await pool.close();
  }
  const durationS = options.durationMs / 1000;
  return {
    ratePerS: options.ratePerS,
    durationS,
    sent,
    ok,
    dropped,
    achievedPerS: ok / durationS,
    latency: log.summary('predict'),
    errors: Object.fromEntries(log.errors),
    cacheHits,
    serverTimings: log.timingSummaries(),
  };
}

/** The search for the highest arrival rate the service sustains within a latency budget. */
export interface SustainedRateOptions extends Omit<OpenStepOptions, 'ratePerS'> {
  /** p99 latency (ms) a step must stay under to count as sustained. */
  readonly p99BudgetMs: number;
  readonly startRatePerS: number;
  /** Never try above this. */
  readonly maxRatePerS?: number;
  /** Bisection steps after the first failing rate (each halves the bracket). */
  readonly refinements?: number;
  /** Called after every step (progress lines). */
  readonly onStep?: (step: OpenStepResult, sustained: boolean) => void;
}

export interface SustainedRateResult {
  readonly p99BudgetMs: number;
  readonly steps: readonly (OpenStepResult & { readonly sustained: boolean })[];
  /** The highest rate sustained (NaN if even the first was not). */
  readonly sustainedPerS: number;
}

/**
 * A step is sustained when every request succeeded, none was dropped, the server kept up
 * (200s per second at least 95% of the rate) and p99 stayed within the budget.
 */
export function sustained(step: OpenStepResult, p99BudgetMs: number): boolean {
  return (
    step.ok === step.sent &&
    step.dropped === 0 &&
    step.achievedPerS >= 0.95 * step.ratePerS &&
    step.latency.p99Ms <= p99BudgetMs
  );
}

/**
 * Raises the rate by half again each step until one is not sustained, then bisects between
 * the last sustained rate and that one. Texts never repeat across steps.
 */
export async function findSustainedRate(
  options: SustainedRateOptions,
): Promise<SustainedRateResult> {
  const texts = new UniqueTexts();
  const steps: (OpenStepResult & { sustained: boolean })[] = [];
  const maxRate = options.maxRatePerS ?? 100_000;
  const step = async (ratePerS: number): Promise<boolean> => {
    const result = await runOpenStep({ ...options, ratePerS }, texts);
    const ok = sustained(result, options.p99BudgetMs);
    steps.push({ ...result, sustained: ok });
    options.onStep?.(result, ok);
    // Let the queue the step left behind drain before the next one starts.
    await new Promise((r) => setTimeout(r, 1000));
    return ok;
  };
  let good = Number.NaN;
  let bad = Number.NaN;
  for (let rate = options.startRatePerS; rate <= maxRate; rate = Math.ceil(rate * 1.5)) {
    if (await step(rate)) good = rate;
    else {
      bad = rate;
      break;
    }
  }
  if (Number.isFinite(bad) && Number.isFinite(good)) {
    for (let i = 0; i < (options.refinements ?? 2) && bad - good > 1; i++) {
      const mid = Math.round((good + bad) / 2);
      if (await step(mid)) good = mid;
      else bad = mid;
    }
  }
  return { p99BudgetMs: options.p99BudgetMs, steps, sustainedPerS: good };
}
