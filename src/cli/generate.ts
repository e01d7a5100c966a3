import { InvalidArgumentError, Option } from 'commander';
import { generateModel, PRESETS } from '../model/convert/index.js';
import { quantizeOption } from './convert.js';
import type { CliCommand } from './context.js';

function wholeNumber(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('takes a whole number.');
  return Number(value);
}

/** `generate`: a DistilBERT with random weights, for tests and benchmarks. */
export const generateCommand: CliCommand = (program, context) => {
  program
    .command('generate')
    .description('write a DistilBERT with random weights (tests, benchmarks)')
    .addOption(
      new Option('--preset <preset>', 'model size').choices(Object.keys(PRESETS)).default('tiny'),
    )
    .requiredOption('--out <dir>', 'the folder to write')
    .addOption(quantizeOption())
    .option('--seed <n>', 'seed of the random weights', wholeNumber)
    .option(
      '--optimize',
      "emit ONNX Runtime's fused com.microsoft kernels (the graph then needs ONNX Runtime)",
    )
    .action(
      async (options: {
        preset: keyof typeof PRESETS;
        out: string;
        quantize?: 'int8';
        seed?: number;
        optimize?: boolean;
      }) => {
        const started = performance.now();
        const { written } = await generateModel(options.out, {
          ...PRESETS[options.preset],
          ...(options.seed !== undefined ? { seed: options.seed } : {}),
          ...(options.quantize ? { quantize: 'int8' as const } : {}),
          ...(options.optimize ? { optimize: true } : {}),
        });
        const seconds = ((performance.now() - started) / 1000).toFixed(1);
        context.io.out(`${options.out} (${options.preset}, ${seconds} s): ${written.join(', ')}`);
        context.exitCode = 0;
      },
    );
};
