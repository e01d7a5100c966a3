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
  const config = loadConfig({ INFERENCE_WORKERS: '1', LOG_LEVEL: 'silent', ...env });
  return startService(config, pino({ level: config.logLevel }));
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
