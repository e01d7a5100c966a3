#!/usr/bin/env node
import { pino } from 'pino';
import { buildApp } from './app.js';
import { runCommand } from './cli.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import { startEngine } from './engine/engine.js';
import { AppError } from './errors.js';
import { Metrics } from './metrics.js';
import { resolveModel } from './model/resolve.js';

const PRODUCTION_HINT =
  'to serve the production model set MODEL_ID=winegarj/distilbert-base-uncased-finetuned-sst2 (pulled and converted on first start) or MODEL_DIR=<folder>';

/**
 * Process entry (and the `sentiment-api` bin): `serve` (the default) or another command of
 * cli.ts. The only file that reads process.env or calls process.exit.
 */
async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) fail(`configuration error: ${error.message}`, 2);
    throw error;
  }
  const [command = 'serve', ...args] = process.argv.slice(2);
  if (command !== 'serve') {
    const code = await runCommand(command, args, config, {
      out: (line) => process.stdout.write(`${line}\n`),
      err: (line) => process.stderr.write(`${line}\n`),
    });
    process.exit(code);
  }
  await serve(config);
}

/** config → model → engine → app → listen; SIGTERM drains. */
async function serve(config: Config): Promise<void> {
  const log = pino({ level: config.logLevel });

  const model = await resolveModel(config, (line) => log.info(line));
  const metrics = new Metrics();
  const engine = await startEngine(config, model, metrics, (state, detail) =>
    state === 'up'
      ? log.info(`redis cache up: ${detail}`)
      : log.warn(`redis cache down (serving without it): ${detail}`),
  );
  const app = await buildApp(config, {
    classifier: engine.classifier,
    labels: engine.labels,
    metrics,
    logger: log,
  });
  await app.listen({ host: config.host, port: config.port });
  log.info(
    {
      model: model.files.dir,
      graph: engine.onnxPath,
      dtype: model.files.dtype,
      labels: model.config.labels,
      workers: config.inferenceWorkers,
      threadsPerWorker: config.inferenceThreads,
      cache: config.redisUrl ? 'memory + redis' : 'memory',
    },
    `serving ${model.source} (${model.files.dtype})${model.bundled ? `; ${PRODUCTION_HINT}` : ''}`,
  );

  let stopping = false;
  const stop = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    log.info(`${signal}: draining in-flight requests (up to ${config.shutdownGraceMs} ms)`);
    const deadline = setTimeout(
      () => fail(`shutdown took longer than ${config.shutdownGraceMs} ms; exiting`, 1),
      config.shutdownGraceMs,
    );
    deadline.unref();
    // Fastify stops accepting connections, answers new requests on open ones with 503, and
    // waits for in-flight requests; the engine then finishes whatever is still queued.
    await app.close();
    await engine.drain();
    await engine.close();
    log.info('stopped');
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
}

function fail(message: string, code: number): never {
  process.stderr.write(`sentiment-api: ${message}\n`);
  process.exit(code);
}

main().catch((error: unknown) => {
  if (error instanceof AppError || error instanceof ConfigError) fail(error.message, 1);
  if ((error as NodeJS.ErrnoException)?.code === 'EADDRINUSE')
    fail(`port already in use: ${(error as Error).message}`, 1);
  process.stderr.write(
    `sentiment-api: unexpected error at start-up\n${(error as Error)?.stack ?? String(error)}\n`,
  );
  process.exit(1);
});
