/**
 * The converter: Hugging Face safetensors checkpoints → ONNX graphs the service serves, and
 * seeded random models for tests and benchmarks. `cli.ts` calls in here.
 */
export {
  convertModel,
  DEFAULT_INT8_GRAPH,
  readEncoderSpec,
  type ConvertOptions,
  type ConvertResult,
} from './convert-model.js';
export { buildEncoderGraph, type GraphOptions } from './encoder-graph.js';
export { readSafetensors, writeSafetensors, type Tensor } from './safetensors.js';
export { generateModel, PRESETS, type GenerateOptions, type ModelShape } from './generate-model.js';
