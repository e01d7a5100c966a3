import { Client } from 'undici';
import { bodyPicker, profileDurationMs, targetVUs, type LoadProfile } from './profile.js';
import { RequestLog } from './request-log.js';
import {
  cacheLookups,
  eventLoopDelay,
  scrapeMetrics,
  sumSamples,
  type EventLoopDelay,
  type MetricSamples,
  type TierLookups,
} from './server-metrics.js';
import { MetricsSampler, type HitRatioPoint } from './metrics-sampler.js';
import { recordTimings } from './timing-headers.js';

/** What to run, against what, and the bounds that make a run stop by itself. */
export interface LoadOptions {
  readonly baseUrl: string;
  readonly profile: LoadProfile;
  /** Stop starting requests after this many (the log's memory bound). */
  readonly maxRequests?: number;
  /** Per-request bound: headers and body each must arrive within this. */
  readonly requestTimeoutMs?: number;
  /** After the last stage, how long running iterations may take before being cut off. */
  readonly gracefulStopMs?: number;
  /** Check that each /predict answer has one row per text sent (off for the no-op server). */
  readonly checkRowCount?: boolean;
  /** Requests started before this are left out of the "after warm-up" figures. */
  readonly warmUpMs?: number;
  /**
   * Where to read `/metrics` (before, after and every `metricsEveryMs`): the base URL by
   * default. Behind a balancer each scrape reaches some replica, so give every replica's own
   * URL instead; their counters are summed.
   */
  readonly metricsUrls?: readonly string[];
  /** How often to scrape /metrics for the hit ratio over time (default 5 s; 0 = never). */
  readonly metricsEveryMs?: number;
  /** The log to record into (a caller that cuts the run into phases keeps it). */
  readonly log?: RequestLog;
  /** Ends the run early, as the end of the stages would (users finish their iteration). */
  readonly signal?: AbortSignal;
  /** Called once as the run starts, with the clock every request's start is measured on. */
  readonly onStart?: (now: () => number) => void;
}

/** What a run measured; the JSON the runner writes (with `series`). */
export interface LoadResult {
  readonly baseUrl: string;
  readonly startedAt: string;
  readonly durationS: number;
  readonly maxVUs: number;
  readonly requests: number;
  readonly iterations: number;
  readonly predict: ReturnType<RequestLog['summary']>;
  readonly health: ReturnType<RequestLog['summary']>;
  /** Completed /predict requests per second over the whole run. */
  readonly predictPerS: number;
  /** Mean /predict per second over the seconds when all `maxVUs` users ran. */
  readonly plateauPredictPerS: number;
  readonly errors: Record<string, number>;
  readonly errorCount: number;
  /** Share of /predict requests that sent the shuffled sentences (the profile wants 5%). */
  readonly shuffledShare: number;
  /** Texts answered from cache / texts sent, from x-cache-hits (NaN without it: CACHE_HITS_HEADER=1). */
  readonly cacheHitRatio: number;
  readonly cacheHitRatioAfterWarmUp: number;
  /** Lookups per tier from the server's /metrics, before vs after (empty without /metrics). */
  readonly cacheLookups: Record<string, TierLookups>;
  /** Share of texts answered from any cache tier per scrape interval, from /metrics. */
  readonly hitRatioOverTime: readonly HitRatioPoint[];
  /** The server's timing headers (`x-*-time`, ms) of /predict answers, when it sent any. */
  readonly serverTimings: Record<string, ReturnType<RequestLog['summary']>>;
  /**
   * The server's event-loop delay during the run: the worst interval between two scrapes of
   * the worst server (undefined without /metrics).
   */
  readonly eventLoop: EventLoopDelay | undefined;
  /** Whether every virtual user finished its iteration before the graceful stop. */
  readonly endedGracefully: boolean;
  readonly series: ReturnType<RequestLog['series']>;
}

/** Scrapes every URL and sums their samples (undefined when none answers). */
async function scrapeAll(urls: readonly string[]): Promise<MetricSamples | undefined> {
  const scrapes = await Promise.all(urls.map((url) => scrapeMetrics(url)));
  return sumSamples(scrapes);
}

/** The worst event-loop delay among some scrapes (a gauge per server: a sum means nothing). */
function worstEventLoop(
  scrapes: readonly (MetricSamples | undefined)[],
): EventLoopDelay | undefined {
  const delays = scrapes
    .map((samples) => eventLoopDelay(samples))
    .filter((d): d is EventLoopDelay => d !== undefined);
  return delays.sort((a, b) => b.p99Ms - a.p99Ms)[0];
}

type Shape = { predictions?: { label?: unknown; score?: unknown }[][] };

/** Why a /predict answer is unusable, or undefined if it is a well-formed prediction. */
function checkPredictions(text: string, texts: number, checkCount: boolean): string | undefined {
  let body: Shape;
  try {
    body = JSON.parse(text) as Shape;
  } catch {
    return 'malformed (not JSON)';
  }
  const rows = body.predictions;
  if (!Array.isArray(rows)) return 'malformed (no predictions)';
  if (checkCount && rows.length !== texts) return 'malformed (row count)';
  for (const row of rows) {
    let sum = 0;
    for (const s of row) {
      if (typeof s.label !== 'string' || typeof s.score !== 'number') return 'malformed (row)';
      sum += s.score;
    }
    if (Math.abs(sum - 1) > 1e-6) return 'malformed (scores do not sum to 1)';
  }
  return undefined;
}

/**
 * Runs the profile as a closed loop: each virtual user owns one keep-alive connection and
 * runs iteration after iteration (GET /health, POST /predict) with no think time, while the
 * number of users follows the stages. Stops by itself after the stages (plus the graceful
 * stop) or `maxRequests`, whichever comes first.
 */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const { baseUrl, profile } = options;
  const maxRequests = options.maxRequests ?? 5_000_000;
  const timeoutMs = options.requestTimeoutMs ?? 10_000;
  const durationMs = profileDurationMs(profile);
  const log = options.log ?? new RequestLog();
  const pick = bodyPicker(profile);
  const metricsUrls = options.metricsUrls ?? [baseUrl];
  const before = await scrapeAll(metricsUrls);
  const startedAt = new Date().toISOString();
  const t0 = process.hrtime.bigint();
  const now = (): number => Number(process.hrtime.bigint() - t0) / 1e6;
  options.onStart?.(now);
  const sampler = new MetricsSampler(metricsUrls, now, before);
  sampler.start(options.metricsEveryMs ?? 5000);

  let started = 0;
  let iterations = 0;
  let stopping = false;
  let wanted = targetVUs(profile, 0);
  const running: (Promise<void> | undefined)[] = [];
  const clients: Client[] = [];

  const send = async (
    client: Client,
    endpoint: 'health' | 'predict',
    body?: { json: string; texts: number },
  ): Promise<void> => {
    started++;
    const start = now();
    try {
      const res = await client.request({
        method: body ? 'POST' : 'GET',
        path: body ? '/predict' : '/health',
        // No Content-Type header, as the k6 script: the service reads such a body as JSON.
        ...(body ? { body: body.json } : {}),
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
      const text = await res.body.text();
      const latency = now() - start;
      let error: string | undefined;
      if (res.statusCode !== 200) error = `status ${res.statusCode}`;
      else if (body) error = checkPredictions(text, body.texts, options.checkRowCount ?? true);
      else if (!text.includes('"healthy"')) error = 'malformed (health)';
      const hits = Number(res.headers['x-cache-hits'] ?? Number.NaN);
      log.record(endpoint, start, latency, error, body?.texts ?? 0, hits);
      if (body) recordTimings(log, start, res.headers);
    } catch (err) {
      const code = (err as { code?: string }).code ?? (err as Error).name;
      log.record(endpoint, start, now() - start, code, body?.texts ?? 0);
    }
  };

  const virtualUser = async (id: number): Promise<void> => {
    await Promise.resolve(); // so `running[id]` is set before this user can clear it
    const client = (clients[id] ??= new Client(baseUrl, { pipelining: 1 }));
    // A user leaves after its current iteration when the ramp no longer wants it (k6's
    // graceful ramp-down), and when the run is over.
    while (!stopping && id < wanted && started < maxRequests) {
      await send(client, 'health');
      await send(client, 'predict', pick());
      iterations++;
    }
    running[id] = undefined;
  };

  const control = (): void => {
    const elapsed = now();
    wanted = elapsed >= durationMs ? 0 : targetVUs(profile, elapsed);
    if (elapsed >= durationMs || started >= maxRequests || options.signal?.aborted) stopping = true;
    for (let id = 0; id < wanted && !stopping; id++) running[id] ??= virtualUser(id);
    const second = Math.floor(elapsed / 1000);
    log.vusBySecond[second] = Math.max(
      log.vusBySecond[second] ?? 0,
      running.filter(Boolean).length,
    );
  };
  control();
  const ticker = setInterval(control, 20);
  while (!stopping) await new Promise((r) => setTimeout(r, 50));
  clearInterval(ticker);

  const inFlight = running.filter((p): p is Promise<void> => p !== undefined);
  let cutOff: NodeJS.Timeout | undefined;
  const graceful = await Promise.race([
    Promise.all(inFlight).then(() => true),
    new Promise<false>(
      (r) => (cutOff = setTimeout(() => r(false), options.gracefulStopMs ?? 10_000)),
    ),
  ]);
  clearTimeout(cutOff);
  const elapsedS = now() / 1000;
  await Promise.all(clients.map((c) => (graceful ? c.close() : c.destroy())));
  const hitRatioOverTime = await sampler.stop();
  const lastScrapes = await Promise.all(metricsUrls.map((url) => scrapeMetrics(url)));
  const after = sumSamples(lastScrapes);
  const final = worstEventLoop(lastScrapes);
  const sampled = sampler.worstEventLoop;
  const eventLoop = sampled && sampled.p99Ms > (final?.p99Ms ?? -1) ? sampled : final;

  const predict = log.summary('predict');
  const series = log.series();
  const maxVUs = Math.max(0, ...Array.from(log.vusBySecond, (v) => v ?? 0));
  // The plateau: whole seconds when every wanted user ran (ramps and the tail excluded).
  const plateau = series.filter((p) => p.vus === maxVUs).slice(1, -1);
  const errors = Object.fromEntries(log.errors);
  return {
    baseUrl,
    startedAt,
    durationS: elapsedS,
    maxVUs,
    requests: log.size,
    iterations,
    predict,
    health: log.summary('health'),
    predictPerS: predict.count / elapsedS,
    plateauPredictPerS: plateau.length
      ? plateau.reduce((sum, p) => sum + p.predictPerS, 0) / plateau.length
      : Number.NaN,
    errors,
    errorCount: Object.values(errors).reduce((a, b) => a + b, 0),
    shuffledShare:
      log.texts.filter((n, i) => log.predict[i] && n !== profile.repeatedTexts.length).length /
      Math.max(1, predict.count),
    cacheHitRatio: log.cacheHitRatio(),
    cacheHitRatioAfterWarmUp: log.cacheHitRatio(options.warmUpMs ?? 1000),
    cacheLookups: cacheLookups(before, after),
    hitRatioOverTime,
    serverTimings: log.timingSummaries(),
    eventLoop,
    endedGracefully: graceful,
    series,
  };
}
