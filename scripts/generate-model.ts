/**
 * generate:model — writes a DistilBERT folder with seeded random weights (config, safetensors,
 * tokenizer files, converted ONNX) for tests, benchmarks and load tests.
 *
 *   npm run generate:model -- --preset base --out generated/distilbert-base [--seed 7] [--quantize int8] [--optimize]
 */
import { parseArgs } from 'node:util';
import { generateModel, PRESETS } from '../src/model/convert/index.js';

const { values } = parseArgs({
  options: {
    preset: { type: 'string', default: 'tiny' },
    out: { type: 'string' },
    seed: { type: 'string' },
    quantize: { type: 'string' },
    optimize: { type: 'boolean' },
  },
});
const preset = values.preset as keyof typeof PRESETS;
if (
  !(preset in PRESETS) ||
  !values.out ||
  (values.quantize !== undefined && values.quantize !== 'int8')
) {
  console.error(
    `usage: generate-model --preset ${Object.keys(PRESETS).join('|')} --out <dir> [--seed N] [--quantize int8] [--optimize]`,
  );
  process.exitCode = 2;
} else {
  const started = performance.now();
  const { written } = await generateModel(values.out, {
    ...PRESETS[preset],
    ...(values.seed !== undefined ? { seed: Number(values.seed) } : {}),
    ...(values.quantize === 'int8' ? { quantize: 'int8' as const } : {}),
    ...(values.optimize !== undefined ? { optimize: values.optimize } : {}),
  });
  console.log(
    `${values.out} (${preset}, ${((performance.now() - started) / 1000).toFixed(1)} s): ${written.join(', ')}`,
  );
}
