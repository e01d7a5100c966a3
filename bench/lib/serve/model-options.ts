import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { BUNDLED_MODEL_DIR } from '../../../src/config.js';

/** The base-size graph `npm run generate:model -- --preset base` writes (docs/benchmarks.md). */
export const BASE_MODEL = 'generated/distilbert-base';

/**
 * The `--model-dir` and `--dtype` options of the serving benchmarks: the base-size model when
 * it has been generated (a forward pass of the production model's size), else the bundled
 * one; the dtype of MODEL_DTYPE, else fp32.
 */
export const MODEL_OPTIONS = {
  'model-dir': {
    type: 'string',
    default: existsSync(join(BASE_MODEL, 'onnx', 'model.onnx')) ? BASE_MODEL : BUNDLED_MODEL_DIR,
  },
  dtype: { type: 'string', default: process.env.MODEL_DTYPE ?? 'fp32' },
} as const;
