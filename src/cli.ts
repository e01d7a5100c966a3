import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { benchCommand } from './cli/bench.js';
import { convertCommand } from './cli/convert.js';
import { explainCommand } from './cli/explain.js';
import { UsageError, type CliCommand, type CliContext, type CliIo } from './cli/context.js';
import { generateCommand } from './cli/generate.js';
import { loadtestCommand } from './cli/loadtest.js';
import { predictCommand } from './cli/predict.js';
import { profileCommand } from './cli/profile.js';
import { pullCommand } from './cli/pull.js';
import { serveCommand } from './cli/serve.js';
import { loadConfig, type Config } from './config.js';
import { AppError, ConfigError } from './errors.js';

export type { CliIo } from './cli/context.js';

/** Every command, one file each under cli/: adding one is a file and a line here. */
const COMMANDS: readonly CliCommand[] = [
  serveCommand,
  predictCommand,
  explainCommand,
  pullCommand,
  convertCommand,
  generateCommand,
  loadtestCommand,
  profileCommand,
  benchCommand,
];

/** The package's version, from package.json (two folders up once built into dist/src/). */
function packageVersion(): string {
  const path = import.meta.url.includes('/dist/src/') ? '../../package.json' : '../package.json';
  return (JSON.parse(readFileSync(new URL(path, import.meta.url), 'utf8')) as { version: string })
    .version;
}

/** What `runCli` needs from the process (main.ts gives the real one, tests their own). */
export interface CliProcess {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly io: CliIo;
  /** Starts the HTTP service; the process then serves until a signal. */
  serve(config: Config): Promise<void>;
}

/**
 * `sentiment-api [command] [flags]` (commander parses): runs one command and resolves to its
 * exit code — 0 ok, 1 failure, 2 usage or configuration — or to undefined once `serve` is
 * serving. Every refusal is one line on stderr: `sentiment-api: <what>`.
 */
export async function runCli(
  argv: readonly string[],
  process: CliProcess,
): Promise<number | undefined> {
  const { io } = process;
  const context: CliContext = {
    env: process.env,
    io,
    serve: process.serve,
    config: (overrides) => loadConfig({ ...process.env, ...overrides }),
    exitCode: undefined,
  };
  const program = new Command('sentiment-api')
    .description(
      'Sentiment analysis with DistilBERT SST-2 on ONNX Runtime: the service and its tools.',
    )
    .version(packageVersion(), '-V, --version', 'print the version')
    .addHelpText(
      'after',
      "\nSettings are read from the environment: see the README's configuration table.",
    )
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.out(text.trimEnd()),
      writeErr: (text) => io.err(text.trimEnd()),
      outputError: (text, write) => write(`sentiment-api: ${text.replace(/^error: /, '')}`),
    });
  for (const add of COMMANDS) add(program, context);
  for (const command of program.commands)
    command.exitOverride().configureOutput(program.configureOutput());
  try {
    // `serve` is the default command: no command, or only flags (other than the program's
    // own --help and --version), means serve. Anything else that is not a command is named.
    const first = argv[0];
    const own = ['-h', '--help', '-V', '--version'];
    const args =
      first === undefined || (first.startsWith('-') && !own.includes(first))
        ? ['serve', ...argv]
        : argv;
    await program.parseAsync(args, { from: 'user' });
    return context.exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and --version exit 0; every other commander error is a usage mistake.
      return error.code === 'commander.helpDisplayed' ||
        error.code === 'commander.version' ||
        error.code === 'commander.help'
        ? 0
        : 2;
    }
    if (error instanceof UsageError) {
      io.err(`sentiment-api: ${error.message}`);
      return 2;
    }
    if (error instanceof ConfigError) {
      io.err(`sentiment-api: configuration error: ${error.message}`);
      return 2;
    }
    if (error instanceof AppError) {
      io.err(`sentiment-api: ${error.message}`);
      return 1;
    }
    throw error;
  }
}
