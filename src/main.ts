#!/usr/bin/env node
import closeWithGrace from 'close-with-grace';
import { pino } from 'pino';
import { runCli } from './cli.js';
import type { Config } from './config.js';
import { AppError } from './errors.js';
import { startService } from './service.js';

/** Past the grace period, how long the forward passes already running may still take. */
const HARD_STOP_AFTER_GRACE_MS = 10_000;

const PRODUCTION_HINT =
  'to serve the production model set MODEL_ID=winegarj/distilbert-base-uncased-finetuned-sst2 (pulled and converted on first start) or MODEL_DIR=<folder>';

/**
 * Process entry (and the `sentiment-api` bin): cli.ts parses the command line (`serve` is the
 * default command) and runs it. The only file that reads process.env or calls process.exit.
 */
async function main(): Promise<void> {
  const code = await runCli(process.argv.slice(2), {
    env: process.env,
    io: {
      out: (line) => process.stdout.write(`${line}\n`),
      err: (line) => process.stderr.write(`${line}\n`),
      stdoutIsTTY: process.stdout.isTTY === true,
      stdinIsTTY: process.stdin.isTTY === true,
      readStdin: async () => {
        let text = '';
        process.stdin.setEncoding('utf8');
        for await (const chunk of process.stdin) text += chunk as string;
        return text;
      },
    },
    serve,
  });
  // Undefined: `serve` is serving, and the process ends on a signal (close-with-grace).
  if (code !== undefined) process.exit(code);
}

/** startService → listen; SIGTERM and SIGINT drain (close-with-grace bounds the drain). */
async function serve(config: Config): Promise<void> {
  const log = pino({ level: config.logLevel });
  const service = await startService(config, log);
  const { model, engine } = service;
  await service.app.listen({ host: config.host, port: config.port });
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

  // On a signal: Fastify stops accepting connections, answers requests in flight, then the
  // engine finishes whatever is still queued (service.close, which bounds it by
  // SHUTDOWN_GRACE_MS, then answers what is left with 503 and exits 1). An uncaught error
  // closes the same way, then exits 1. close-with-grace's own deadline is the last resort,
  // for a forward pass that never returns.
  closeWithGrace(
    {
      delay: config.shutdownGraceMs + HARD_STOP_AFTER_GRACE_MS,
      logger: { error: (message: unknown) => log.error(message) },
      onTimeout: (delay) =>
        process.stderr.write(`sentiment-api: shutdown took longer than ${delay} ms; exiting\n`),
    },
    async ({ signal, err }) => {
      if (err) log.error({ err }, 'uncaught error; closing');
      else
        log.info(
          `${signal ?? 'exit'}: draining in-flight requests (up to ${config.shutdownGraceMs} ms)`,
        );
      const { graceExpired } = await service.close();
      if (graceExpired) {
        process.stderr.write(
          `sentiment-api: shutdown took longer than ${config.shutdownGraceMs} ms; what was still queued got 503\n`,
        );
        process.exitCode = 1;
        throw new Error('shutdown grace period expired');
      }
      log.info('stopped');
    },
  );
}

function fail(message: string, code: number): never {
  process.stderr.write(`sentiment-api: ${message}\n`);
  process.exit(code);
}

main().catch((error: unknown) => {
  if (error instanceof AppError) fail(error.message, 1);
  if ((error as NodeJS.ErrnoException)?.code === 'EADDRINUSE')
    fail(`port already in use: ${(error as Error).message}`, 1);
  process.stderr.write(
    `sentiment-api: unexpected error at start-up\n${(error as Error)?.stack ?? String(error)}\n`,
  );
  process.exit(1);
});
