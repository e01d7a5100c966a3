import type { TestContext } from 'node:test';
import { pino } from 'pino';
import { loadConfig } from '../src/config.js';
import type { Metrics } from '../src/metrics.js';
import { startService, type Service } from '../src/service.js';

/** A running service on the real engine (real ONNX Runtime workers), as main.ts starts it. */
export type TestApp = Service;

/**
 * Starts the service from environment-style settings (the bundled model unless MODEL_DIR is
 * given), with one small worker by default so test files stay light, through the same
 * composition root as main.ts. For a suite: `before` starts it, `after(() => t.close())`.
 */
export async function startTestApp(env: Record<string, string> = {}): Promise<TestApp> {
  const config = testConfig(env);
  return startService(config, pino({ level: config.logLevel }));
}

/** What every test service starts from: one small worker, no log, `env` on top. */
function testConfig(env: Record<string, string>) {
  return loadConfig({ INFERENCE_WORKERS: '1', LOG_LEVEL: 'silent', ...env });
}

/**
 * fastify/demo's `build(t)`: a service for one test, closed when the test ends, so a test
 * body needs no try/finally of its own.
 */
export async function build(t: TestContext, env: Record<string, string> = {}): Promise<TestApp> {
  const service = await startTestApp(env);
  t.after(() => service.close());
  return service;
}

/** A service for one test whose log lines are kept, for a test of what it logs. */
export interface LoggedTestApp {
  readonly service: TestApp;
  /** Every line logged so far: pino's JSON, one a line. */
  readonly lines: readonly string[];
  /** How many of the lines so far contain `text`. */
  logged(text: string): number;
}

/**
 * `build(t, env)` with the log kept in memory instead of dropped, at LOG_LEVEL=info unless
 * `env` says otherwise: what a test reads to check a change of state was logged (once).
 */
export async function buildLogged(
  t: TestContext,
  env: Record<string, string> = {},
): Promise<LoggedTestApp> {
  const lines: string[] = [];
  const config = testConfig({ LOG_LEVEL: 'info', ...env });
  const service = await startService(
    config,
    pino({ level: config.logLevel }, { write: (line: string) => void lines.push(line) }),
  );
  t.after(() => service.close());
  return {
    service,
    lines,
    logged: (text) => lines.filter((line) => line.includes(text)).length,
  };
}

/**
 * `buildLogged`, returned once each Redis connection the settings open is up: the cache's,
 * and the rate limiter's when RATE_LIMIT_PER_MINUTE is set. Until then the service runs
 * without Redis by design (lookups miss, writes are skipped, requests pass uncounted), so a
 * test of what lands in Redis must not race the first connection.
 */
export async function buildOnRedis(
  t: TestContext,
  env: Record<string, string>,
): Promise<LoggedTestApp> {
  const built = await buildLogged(t, env);
  await until(() => built.logged('redis cache up') > 0, 'the cache connected to Redis', 5_000);
  if (env.RATE_LIMIT_PER_MINUTE !== undefined)
    await until(
      () => built.logged('redis rate limit up') > 0,
      'the rate limiter connected to Redis',
      5_000,
    );
  return built;
}

/** The value of a counter (summed over labels matching `labels`) in the app's registry. */
export async function counter(
  metrics: Metrics,
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  const metric = metrics.registry.getSingleMetric(name);
  if (!metric) throw new Error(`no metric ${name}`);
  const { values } = await metric.get();
  return values
    .filter((v) => Object.entries(labels).every(([k, want]) => String(v.labels[k]) === want))
    .reduce((sum, v) => sum + v.value, 0);
}

/**
 * Polls `check` until it holds, failing after `timeoutMs` with `what` in the message: a wait
 * that regresses fails fast instead of hanging the suite.
 */
export async function until(
  check: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}
