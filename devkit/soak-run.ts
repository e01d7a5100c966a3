/**
 * A memory soak: a stream of texts the service has never seen (every one a cache miss, so
 * the result cache fills and then evicts), from a few keep-alive clients, for a bounded time,
 * with the service's RSS (/proc/<pid>/status) and main-thread heap (/metrics) sampled along
 * the way. `rssGrowth` judges the series: after a warm-up, the last third's peak against the
 * first third's.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { Agent } from 'undici';
import { readHeapUsedBytes, readRssBytes } from './proc-memory.js';

/** One sample of the series, seconds since the soak began. */
export interface MemorySample {
  readonly atSeconds: number;
  readonly rssBytes: number;
  readonly heapUsedBytes: number;
  /** Texts answered so far. */
  readonly texts: number;
}

export interface SoakOptions {
  readonly baseUrl: string;
  /** The service's process id, for its RSS. */
  readonly pid: number;
  readonly durationMs: number;
  readonly sampleEveryMs: number;
  /** Clients posting side by side, each on its own keep-alive connection. */
  readonly clients: number;
  /** Texts per request. */
  readonly textsPerRequest: number;
  /**
   * Texts per second over all clients; unset, as fast as the service answers. A paced soak
   * allocates at the same rate on any machine, so V8 sizes its heap the same way each run.
   */
  readonly textsPerSecond?: number;
  /**
   * Texts answered before `durationMs` starts counting (the result's `warmupSeconds` says
   * when). V8 grows its heap limit over its first major collections, which come after a
   * volume of allocation, not a time; a warm-up counted in texts is the same on any machine.
   */
  readonly warmupTexts?: number;
  /** Longest wait for one answer; a slower one fails the soak. */
  readonly timeoutMs?: number;
  /** The stream's first text number (a second soak on the same service sends new texts). */
  readonly firstText?: number;
}

export interface SoakResult {
  readonly samples: readonly MemorySample[];
  readonly requests: number;
  readonly texts: number;
  /** Answers other than 200, with the first few for the report. */
  readonly errors: number;
  readonly firstErrors: readonly string[];
  /** When `warmupTexts` had been answered (0 without a warm-up). */
  readonly warmupSeconds: number;
}

const WORDS = [
  'good',
  'bad',
  'film',
  'plot',
  'actors',
  'slow',
  'moving',
  'funny',
  'dull',
  'bright',
];

/**
 * The `n`th text of the stream: unique (its number is in it, in words the tokenizer splits
 * into a few pieces), a sentence of about a dozen tokens like a short review.
 */
export function uniqueText(n: number): string {
  const words = [0, 1, 2, 3].map((i) => WORDS[(n * 7 + i * 3) % WORDS.length]);
  return `review ${n.toString(36)} the ${words.join(' ')} and ${(n * 2654435761) % 1e9} stars`;
}

/** Runs the soak; rejects if the service stops answering or an answer hangs. */
export async function runSoak(options: SoakOptions): Promise<SoakResult> {
  const { baseUrl, pid, durationMs, clients, textsPerRequest } = options;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const agent = new Agent({
    connections: clients,
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
  });
  const warmupTexts = options.warmupTexts ?? 0;
  const started = Date.now();
  // A warm-up that never ends (the service answers nothing but errors) is bounded too.
  let end = started + (warmupTexts > 0 ? 10 * 60_000 : durationMs);
  let warmupSeconds = 0;
  const samples: MemorySample[] = [];
  const firstErrors: string[] = [];
  const firstText = options.firstText ?? 0;
  let next = firstText;
  let requests = 0;
  let texts = 0;
  let errors = 0;

  const sample = async (): Promise<void> => {
    const heapUsedBytes = await readHeapUsedBytes(baseUrl);
    const atSeconds = (Date.now() - started) / 1000;
    samples.push({ atSeconds, rssBytes: readRssBytes(pid), heapUsedBytes, texts });
  };
  const client = async (): Promise<void> => {
    while (Date.now() < end) {
      if (options.textsPerSecond !== undefined) {
        const due = started + ((next - firstText) / options.textsPerSecond) * 1000;
        if (due > Date.now()) await delay(due - Date.now());
        if (Date.now() >= end) break;
      }
      const batch = Array.from({ length: textsPerRequest }, () => uniqueText(next++));
      const res = await agent.request({
        origin: baseUrl,
        path: '/predict',
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ text: batch }),
        signal: AbortSignal.timeout(timeoutMs),
      });
      const body = await res.body.text();
      requests++;
      if (res.statusCode === 200) texts += batch.length;
      else if (++errors <= 5) firstErrors.push(`${res.statusCode} ${body.slice(0, 200)}`);
      if (warmupTexts > 0 && warmupSeconds === 0 && texts >= warmupTexts) {
        warmupSeconds = (Date.now() - started) / 1000;
        end = Date.now() + durationMs;
      }
    }
  };

  try {
    await sample();
    let sampling = Promise.resolve();
    const timer = setInterval(() => {
      sampling = sampling.then(sample);
    }, options.sampleEveryMs);
    try {
      await Promise.all(Array.from({ length: clients }, client));
    } finally {
      clearInterval(timer);
    }
    await sampling;
    await sample();
  } finally {
    await agent.close();
  }
  if (warmupTexts > 0 && warmupSeconds === 0) {
    throw new Error(`the warm-up of ${warmupTexts} texts did not end (${texts} answered)`);
  }
  return { samples, requests, texts, errors, firstErrors, warmupSeconds };
}

/** How much the RSS grew after warm-up: the last third's peak minus the first third's. */
export interface RssGrowth {
  readonly warmupSeconds: number;
  readonly firstThirdMaxBytes: number;
  readonly lastThirdMaxBytes: number;
  readonly growthBytes: number;
}

/** Judges `samples` past `warmupSeconds`, split into thirds by time. */
export function rssGrowth(samples: readonly MemorySample[], warmupSeconds: number): RssGrowth {
  const steady = samples.filter((s) => s.atSeconds >= warmupSeconds);
  if (steady.length < 3) throw new Error(`only ${steady.length} samples after the warm-up`);
  const from = steady[0]!.atSeconds;
  const span = steady.at(-1)!.atSeconds - from;
  const peak = (lo: number, hi: number) =>
    Math.max(
      ...steady.filter((s) => s.atSeconds >= lo && s.atSeconds <= hi).map((s) => s.rssBytes),
    );
  const firstThirdMaxBytes = peak(from, from + span / 3);
  const lastThirdMaxBytes = peak(from + (2 * span) / 3, from + span);
  return {
    warmupSeconds,
    firstThirdMaxBytes,
    lastThirdMaxBytes,
    growthBytes: lastThirdMaxBytes - firstThirdMaxBytes,
  };
}
