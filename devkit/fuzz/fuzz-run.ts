/**
 * Runs the fuzz categories against a listening service: each category as `concurrency`
 * fast-check properties side by side (different seeds, one keep-alive connection pool), every
 * exchange bounded by a timeout, /health asked after each category (the service still
 * answers). A failure is shrunk to a minimal counterexample and reported with its seed and
 * path, so `--seed` and `--path` replay it.
 */
import fc from 'fast-check';
import { describeCase, sentBytes, type FuzzCase } from './fuzz-case.js';
import { keepAliveAgent, sendHttp, sendRaw, type Answer } from './http-exchange.js';
import { deepNesting, hugeBodies, jsonValues, nearSchema, unicodeTexts } from './json-cases.js';
import { checkAnswer } from './predict-contract.js';
import type { PredictLimits } from './predict-oracle.js';
import { contentTypes, corruptBytes, framing, methodsAndPaths } from './wire-cases.js';

/** Every category, by name: what it sends is in json-cases.ts and wire-cases.ts. */
export const CATEGORIES = {
  'json-values': jsonValues,
  'near-schema': nearSchema,
  unicode: unicodeTexts,
  deep: deepNesting,
  huge: hugeBodies,
  'content-type': contentTypes,
  bytes: corruptBytes,
  framing,
  'methods-paths': methodsAndPaths,
} as const satisfies Record<string, (limits: PredictLimits) => fc.Arbitrary<FuzzCase>>;

export type Category = keyof typeof CATEGORIES;

/** Shares of a run by category: cheap refusals most, huge bodies and raw sockets fewer. */
export const WEIGHTS: Readonly<Record<Category, number>> = {
  'json-values': 18,
  'near-schema': 22,
  unicode: 14,
  deep: 4,
  huge: 2,
  'content-type': 12,
  bytes: 14,
  framing: 9,
  'methods-paths': 5,
};

/** `total` cases split by WEIGHTS (every category at least one). */
export function runsFor(total: number): Record<Category, number> {
  const sum = Object.values(WEIGHTS).reduce((a, b) => a + b, 0);
  const entries = Object.entries(WEIGHTS).map(([name, w]) => [
    name,
    Math.max(1, Math.round((total * w) / sum)),
  ]);
  return Object.fromEntries(entries) as Record<Category, number>;
}

/** The service under test. */
export interface FuzzTarget {
  readonly baseUrl: string;
  readonly limits: PredictLimits;
  /** The model's classes in class-id order. */
  readonly labels: readonly string[];
}

export interface FuzzOptions {
  readonly runs: Readonly<Partial<Record<Category, number>>>;
  readonly seed: number;
  /** Properties run side by side per category (and connections in the pool). */
  readonly concurrency: number;
  /** Longest wait for one answer. */
  readonly timeoutMs: number;
  /** No new case starts after this time (Date.now()); the runs done so far are reported. */
  readonly deadline?: number;
  /** Replays one failure: the seed and path a report printed (with concurrency 1). */
  readonly path?: string;
}

/** One category's outcome. */
export interface CategoryResult {
  readonly category: Category;
  /** Cases sent and checked, shrinking attempts not counted. */
  readonly runs: number;
  readonly failure?: {
    readonly counterexample: string;
    readonly error: string;
    readonly seed: number;
    readonly path: string;
    readonly shrinks: number;
  };
}

/** Sends one case and checks its answer; throws what broke. */
async function exchange(
  c: FuzzCase,
  target: FuzzTarget,
  agent: ReturnType<typeof keepAliveAgent>,
  timeoutMs: number,
): Promise<void> {
  const port = Number(new URL(target.baseUrl).port);
  const answer: Answer =
    c.delivery.via === 'http'
      ? await sendHttp(agent, target.baseUrl, c.delivery.request, timeoutMs)
      : await sendRaw(port, c.delivery.bytes, c.delivery.finish, timeoutMs, c.delivery.pauseAt);
  checkAnswer(answer, c.expected, sentBytes(c), target.labels);
}

/** GET /health must still answer 200 (the service did not crash or wedge). */
export async function assertHealthy(baseUrl: string, timeoutMs = 5_000): Promise<void> {
  const res = await fetch(`${baseUrl}/health`, { signal: AbortSignal.timeout(timeoutMs) });
  const body = await res.text();
  if (res.status !== 200) throw new Error(`/health answered ${res.status}: ${body.slice(0, 200)}`);
}

/** Runs every category of `options.runs`; resolves with each one's outcome. */
export async function runFuzz(target: FuzzTarget, options: FuzzOptions): Promise<CategoryResult[]> {
  const agent = keepAliveAgent(options.concurrency, options.timeoutMs);
  const results: CategoryResult[] = [];
  try {
    for (const [category, total] of Object.entries(options.runs) as [Category, number][]) {
      const arbitrary: fc.Arbitrary<FuzzCase> = CATEGORIES[category](target.limits);
      const property = fc.asyncProperty(arbitrary, (c) =>
        exchange(c, target, agent, options.timeoutMs),
      );
      const lanes = options.path ? 1 : Math.min(options.concurrency, total);
      const checks = [...Array(lanes).keys()].map((lane) =>
        fc.check(property, {
          seed: options.seed + lane * 7919,
          numRuns: Math.ceil((total - lane) / lanes),
          ...(options.path ? { path: options.path } : {}),
          endOnFailure: false,
          plugins:
            options.deadline === undefined
              ? []
              : [fc.interruptAfterTimeLimit(Math.max(1, options.deadline - Date.now()))],
        }),
      );
      const details = await Promise.all(checks);
      const failed = details.find((d) => d.failed && d.counterexample !== null);
      const runs = details.reduce((sum, d) => sum + d.numRuns, 0);
      const result: CategoryResult = { category, runs };
      if (failed && failed.counterexample) {
        results.push({
          ...result,
          failure: {
            counterexample: describeCase((failed.counterexample as [FuzzCase])[0]),
            error: String((failed.errorInstance as Error)?.message ?? failed.errorInstance),
            seed: failed.seed,
            path: failed.counterexamplePath ?? '',
            shrinks: failed.numShrinks,
          },
        });
      } else results.push(result);
      await assertHealthy(target.baseUrl);
    }
  } finally {
    await agent.close();
  }
  return results;
}
