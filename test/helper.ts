import type { FastifyInstance } from 'fastify';
import { buildApp } from '../src/app.js';
import { loadConfig, type Config } from '../src/config.js';
import { startEngine, type Engine } from '../src/engine/engine.js';
import { Metrics } from '../src/metrics.js';
import { resolveModel } from '../src/model/resolve.js';

/** A running app on the real engine (real ONNX Runtime workers) and how to stop it. */
export interface TestApp {
  readonly app: FastifyInstance;
  readonly engine: Engine;
  readonly metrics: Metrics;
  readonly config: Config;
  close(): Promise<void>;
}

/**
 * Builds the app as main.ts does, from environment-style settings (the bundled model unless
 * MODEL_DIR is given), with one small worker by default so test files stay light.
 */
export async function startTestApp(env: Record<string, string> = {}): Promise<TestApp> {
  const config = loadConfig({ INFERENCE_WORKERS: '1', LOG_LEVEL: 'silent', ...env });
  const model = await resolveModel(config);
  const metrics = new Metrics();
  const engine = await startEngine(config, model, metrics, () => undefined);
  const app = await buildApp(config, {
    classifier: engine.classifier,
    labels: engine.labels,
    metrics,
    logger: false,
  });
  await app.ready();
  return {
    app,
    engine,
    metrics,
    config,
    async close() {
      await app.close();
      await engine.drain();
      await engine.close();
    },
  };
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
