import { Option } from 'commander';
import { convertModel } from '../model/convert/index.js';
import type { CliCommand } from './context.js';

/** `--quantize int8`, shared by convert and generate. */
export const quantizeOption = () =>
  new Option('--quantize <dtype>', 'also write onnx/model_quantized.onnx').choices(['int8']);

/** `convert <model-dir>`: write onnx/model.onnx (and more) from model.safetensors. */
export const convertCommand: CliCommand = (program, context) => {
  program
    .command('convert')
    .description('write onnx/model.onnx from model.safetensors')
    .argument('<model-dir>', 'a model folder with model.safetensors')
    .addOption(quantizeOption())
    .option(
      '--optimize',
      "emit ONNX Runtime's fused com.microsoft kernels (the graph then needs ONNX Runtime)",
    )
    .action(async (dir: string, options: { quantize?: 'int8'; optimize?: boolean }) => {
      const { written } = await convertModel(dir, {
        ...(options.quantize ? { quantize: 'int8' as const } : {}),
        ...(options.optimize ? { optimize: true } : {}),
      });
      for (const file of written) context.io.out(file);
      context.exitCode = 0;
    });
};
