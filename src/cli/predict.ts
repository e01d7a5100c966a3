import { pino, type Logger } from 'pino';
import type { Config } from '../config.js';
import type { LabelScore } from '../engine/classifier.js';
import { startService } from '../service.js';
import { addConfigFlags, configOverrides } from './config-flags.js';
import { UsageError, type CliCommand, type CliIo } from './context.js';

/** A text is cut to this many characters in the table (the JSON keeps nothing out). */
const TABLE_TEXT_CHARS = 60;

/** `predict [text…]`: classify in-process (no HTTP), texts as arguments or stdin lines. */
export const predictCommand: CliCommand = (program, context) => {
  const command = program
    .command('predict')
    .description('classify texts with the configured model, in-process (no server)')
    .argument('[texts...]', 'texts to classify; none or - reads them from stdin, one a line')
    .option(
      '--json',
      'print the /predict response body (the default when stdout is not a terminal)',
    )
    .option('--table', 'print a table of text, label and score (the default on a terminal)');
  addConfigFlags(command, ['modelDir', 'modelId', 'dtype', 'logLevel']);
  command.action(async (args: string[], options: Record<string, unknown>) => {
    if (options.json && options.table) throw new UsageError('choose one of --json and --table');
    const config = context.config(configOverrides(options));
    const texts = await readTexts(args, context.io);
    const predictions = await classify(texts, config, context.io);
    const table =
      options.table === true || (options.json !== true && context.io.stdoutIsTTY === true);
    if (table) printTable(texts, predictions, context.io);
    else context.io.out(JSON.stringify({ predictions }));
    context.exitCode = 0;
  });
};

/** The arguments, with `-` (or no argument at all) standing for stdin's lines. */
async function readTexts(args: readonly string[], io: CliIo): Promise<string[]> {
  if (args.length > 0 && !args.includes('-')) return [...args];
  if (io.stdinIsTTY || !io.readStdin)
    throw new UsageError('predict takes texts as arguments, or one a line on stdin');
  const lines = (await io.readStdin()).split('\n').map((line) => line.replace(/\r$/, ''));
  if (lines.at(-1) === '') lines.pop();
  return args.length === 0 ? lines : args.flatMap((arg) => (arg === '-' ? lines : [arg]));
}

/** One worker and no shared cache: a one-shot command should neither fan out nor write to Redis. */
async function classify(
  texts: readonly string[],
  config: Config,
  io: CliIo,
): Promise<readonly (readonly LabelScore[])[]> {
  const service = await startService(
    { ...config, inferenceWorkers: 1, redisUrl: undefined },
    lineLogger(config, io),
  );
  try {
    return (await service.engine.classifier.classify(texts)).predictions;
  } finally {
    await service.close();
  }
}

function printTable(
  texts: readonly string[],
  predictions: readonly (readonly LabelScore[])[],
  io: CliIo,
): void {
  const rows = texts.map((text, index) => {
    const best = (predictions[index] ?? []).reduce<LabelScore | undefined>(
      (top, next) => (top === undefined || next.score > top.score ? next : top),
      undefined,
    );
    const shown = text.length > TABLE_TEXT_CHARS ? `${text.slice(0, TABLE_TEXT_CHARS - 1)}…` : text;
    return [shown.replace(/\s/g, ' '), best?.label ?? '', best ? best.score.toFixed(4) : ''];
  });
  const all = [['text', 'label', 'score'], ...rows];
  const widths = [0, 1].map((column) =>
    Math.max(...all.map((row) => (row[column] as string).length)),
  );
  for (const row of all)
    io.out(
      `${(row[0] as string).padEnd(widths[0] as number)}  ${(row[1] as string).padEnd(widths[1] as number)}  ${row[2] as string}`,
    );
}

/** A pino logger that prints each message as a plain line on the command's stderr. */
function lineLogger(config: Config, io: CliIo): Logger {
  return pino(
    { level: config.logLevel },
    { write: (line: string) => io.err((JSON.parse(line) as { msg?: string }).msg ?? line) },
  );
}
