import { parseArgs } from 'node:util';
import { pino, type Logger } from 'pino';
import type { Config } from './config.js';
import { convertModel, generateModel, PRESETS } from './model/convert/index.js';
import { pullModel, pullOptionsFromConfig } from './model/hub/index.js';
import { startService } from './service.js';

/** Output streams, so tests can capture what a command prints. */
export interface CliIo {
  out(line: string): void;
  err(line: string): void;
}

export const USAGE = `usage: sentiment-api [command]

commands:
  serve                                  start the HTTP service (the default)
  predict <text> [<text> …]              classify texts with the configured model, print JSON
  pull <org/name>[@revision]             download a model from the Hub into MODEL_CACHE
  convert <model-dir> [--quantize int8] [--optimize]
                                         write onnx/model.onnx from model.safetensors
  generate [--preset tiny|base] --out <dir> [--quantize int8] [--seed N] [--optimize]
                                         write a DistilBERT with random weights (tests, benchmarks)

configuration is read from the environment: see the README's configuration table.`;

/** Runs one command other than `serve`; resolves to the process exit code. */
export async function runCommand(
  command: string,
  args: string[],
  config: Config,
  io: CliIo,
): Promise<number> {
  switch (command) {
    case 'predict':
      return predict(args, config, io);
    case 'pull': {
      const { positionals } = parseArgs({ args, allowPositionals: true });
      if (positionals.length !== 1) return usage(io, 'pull takes one <org/name>[@revision]');
      const pulled = await pullModel(
        positionals[0] as string,
        pullOptionsFromConfig(config, { log: io.err }),
      );
      io.out(pulled.dir);
      return 0;
    }
    case 'convert': {
      const { positionals, values } = parseArgs({
        args,
        allowPositionals: true,
        options: { quantize: { type: 'string' }, optimize: { type: 'boolean' } },
      });
      if (positionals.length !== 1) return usage(io, 'convert takes one <model-dir>');
      if (values.quantize !== undefined && values.quantize !== 'int8')
        return usage(io, '--quantize takes int8');
      const { written } = await convertModel(positionals[0] as string, {
        ...(values.quantize ? { quantize: 'int8' as const } : {}),
        ...(values.optimize ? { optimize: true } : {}),
      });
      for (const file of written) io.out(file);
      return 0;
    }
    case 'generate': {
      const { values } = parseArgs({
        args,
        options: {
          preset: { type: 'string', default: 'tiny' },
          out: { type: 'string' },
          quantize: { type: 'string' },
          seed: { type: 'string' },
          optimize: { type: 'boolean' },
        },
      });
      const preset = values.preset as keyof typeof PRESETS;
      if (!(preset in PRESETS) || !values.out)
        return usage(
          io,
          `generate needs --preset ${Object.keys(PRESETS).join('|')} and --out <dir>`,
        );
      if (values.quantize !== undefined && values.quantize !== 'int8')
        return usage(io, '--quantize takes int8');
      if (values.seed !== undefined && !/^\d+$/.test(values.seed))
        return usage(io, '--seed takes a whole number');
      const started = performance.now();
      const { written } = await generateModel(values.out, {
        ...PRESETS[preset],
        ...(values.seed !== undefined ? { seed: Number(values.seed) } : {}),
        ...(values.quantize ? { quantize: 'int8' as const } : {}),
        ...(values.optimize ? { optimize: true } : {}),
      });
      const seconds = ((performance.now() - started) / 1000).toFixed(1);
      io.out(`${values.out} (${preset}, ${seconds} s): ${written.join(', ')}`);
      return 0;
    }
    case 'help':
    case '--help':
    case '-h':
      io.out(USAGE);
      return 0;
    default:
      return usage(io, `unknown command '${command}'`);
  }
}

function usage(io: CliIo, problem: string): number {
  io.err(`sentiment-api: ${problem}\n\n${USAGE}`);
  return 2;
}

/** Classifies texts in-process (no HTTP), printing the /predict response body. */
async function predict(texts: string[], config: Config, io: CliIo): Promise<number> {
  if (texts.length === 0) return usage(io, 'predict takes at least one text');
  // One worker and no shared cache: a one-shot command should neither fan out nor write
  // into the fleet's Redis.
  const service = await startService(
    { ...config, inferenceWorkers: 1, redisUrl: undefined },
    lineLogger(config, io),
  );
  try {
    const { predictions } = await service.engine.classifier.classify(texts);
    io.out(JSON.stringify({ predictions }));
    return 0;
  } finally {
    await service.close();
  }
}

/** A pino logger that prints each message as a plain line on the command's stderr. */
function lineLogger(config: Config, io: CliIo): Logger {
  return pino(
    { level: config.logLevel },
    { write: (line: string) => io.err((JSON.parse(line) as { msg?: string }).msg ?? line) },
  );
}
