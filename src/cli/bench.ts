import { InvalidArgumentError } from 'commander';
import { pino } from 'pino';
import {
  median,
  runSelfBench,
  SELF_BENCH_OVERRIDES,
  UnlikeGraphsError,
  type SelfBenchResult,
} from '../bench/self-bench.js';
import { addConfigFlags, configOverrides } from './config-flags.js';
import { UsageError, type CliCommand, type CliIo } from './context.js';

function whole(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('takes a whole number ≥ 1.');
  return n;
}

/**
 * `bench`: a short self-benchmark of this machine, raw ONNX Runtime and the service side by
 * side on the same graph (bench/self-bench.ts). Exit 0 with the figures; 2 when the raw
 * graph asked for is not the service's (no ratio across graphs).
 */
export const benchCommand: CliCommand = (program, context) => {
  const command = program
    .command('bench')
    .description(
      'measure this machine: raw ONNX Runtime and the service (over HTTP, cache off) on the same graph',
    )
    .option('--texts <n>', 'texts per pass (unique: every one computed)', whole, 400)
    .option('--rounds <n>', 'paired rounds, one raw and one service pass each', whole, 3)
    .option('--clients <n>', 'HTTP clients side by side, one text a request', whole, 16)
    .option('--onnx <file>', "the raw graph (default: the service's); another one is refused")
    .option('--json', 'print the result as JSON');
  addConfigFlags(command, ['modelDir', 'modelId', 'dtype', 'workers', 'logLevel']);
  command.action(async (options: Record<string, unknown>) => {
    const config = context.config({
      LOG_LEVEL: 'warn',
      ...configOverrides(options),
      ...SELF_BENCH_OVERRIDES,
    });
    const io = context.io;
    const log = pino({ level: config.logLevel }, pino.destination(2));
    let result: SelfBenchResult;
    try {
      io.err(
        `sentiment-api bench: ${config.inferenceWorkers} workers × ${config.inferenceThreads} threads, ` +
          `${options.texts as number} texts × ${options.rounds as number} rounds`,
      );
      result = await runSelfBench(
        config,
        {
          texts: options.texts as number,
          rounds: options.rounds as number,
          clients: options.clients as number,
          onnxPath: options.onnx as string | undefined,
        },
        log,
        (line) => io.err(line),
      );
    } catch (error) {
      if (error instanceof UnlikeGraphsError) throw new UsageError(error.message);
      throw error;
    }
    if (options.json) io.out(JSON.stringify(result));
    else printReport(result, io);
    context.exitCode = 0;
  });
};

function printReport(result: SelfBenchResult, io: CliIo): void {
  const rate = (values: readonly number[]) =>
    `${median(values).toFixed(1)} seq/s (rounds: ${values.map((v) => v.toFixed(1)).join(', ')})`;
  io.out(`model ${result.model}`);
  io.out(`graph ${result.graph} (${result.graphKind})`);
  io.out(
    `${result.workers} workers × ${result.threads} threads, batches of ${result.batchMaxItems}, ` +
      `${result.texts} unique texts a pass, medians of ${result.raw.length} paired rounds`,
  );
  const rows: [string, string][] = [
    ['raw ONNX Runtime, arrival order', rate(result.raw)],
    [`the service, ${result.clients} HTTP clients × 1 text`, rate(result.service)],
    ['service / raw', result.ratio.toFixed(3)],
  ];
  const width = Math.max(...rows.map(([label]) => label.length));
  for (const [label, value] of rows) io.out(`${label.padEnd(width)}  ${value}`);
}
