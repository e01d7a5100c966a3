import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ModelLoadError } from '../../errors.js';
import { ONNX_FILES, PACKED_ONNX_FILES, readJson } from '../model-files.js';
import { readBert } from './bert.js';
import { Checkpoint } from './checkpoint.js';
import { readDistilBert } from './distilbert.js';
import { buildEncoderGraph, type GraphOptions } from './encoder-graph.js';
import type { EncoderSpec } from './encoder-spec.js';
import { readSafetensors } from './safetensors.js';
import { writeFileAtomic } from '../write-file-atomic.js';

/** What `convertModel` should write besides the fp32 graph. */
export interface ConvertOptions {
  /** Also write `onnx/model_quantized.onnx` with dynamic int8 weights. */
  readonly quantize?: 'int8';
  /**
   * Emit ORT's fused com.microsoft kernels (what ORT's offline transformer optimiser
   * produces). Such a graph needs ONNX Runtime; plain graphs run anywhere ONNX does.
   */
  readonly optimize?: boolean;
}

/** The files a conversion wrote, relative to the model folder. */
export interface ConvertResult {
  readonly written: string[];
}

const READERS: Readonly<Record<string, (checkpoint: Checkpoint) => EncoderSpec>> = {
  DistilBertForSequenceClassification: readDistilBert,
  BertForSequenceClassification: readBert,
};

/**
 * Converts a Hugging Face model folder (`config.json` + `model.safetensors`) into
 * `onnx/model.onnx` (and with `quantize: 'int8'`, `onnx/model_quantized.onnx`), each beside
 * its packed, padding-free variant (`PACKED_ONNX_FILES`, signature in `buildEncoderGraph`),
 * each written atomically. An architecture we cannot convert, or a missing or mis-shaped tensor, is a
 * ModelLoadError that names it.
 */
export async function convertModel(
  dir: string,
  options: ConvertOptions = {},
): Promise<ConvertResult> {
  const spec = readEncoderSpec(dir);
  const written: string[] = [];
  const emit = (file: string, graph: GraphOptions) => {
    writeFileAtomic(join(dir, file), buildEncoderGraph(spec, graph));
    written.push(file);
  };
  emit(ONNX_FILES.fp32, { fused: options.optimize ?? false });
  emit(PACKED_ONNX_FILES.fp32, { packed: true });
  if (options.quantize === 'int8') {
    emit(ONNX_FILES.int8, DEFAULT_INT8_GRAPH);
    emit(PACKED_ONNX_FILES.int8, { ...DEFAULT_INT8_GRAPH, packed: true });
  }
  return { written };
}

/**
 * The int8 graph (docs/benchmarks.md, "Model graphs"): plain ops with dynamic int8
 * MatMulInteger, whatever `optimize` says (int8 with fused attention measured 30% slower).
 * MatMulInteger and com.microsoft DynamicQuantizeMatMul measured level (ORT fuses the former
 * into the latter's kernel), so the standard op wins on portability. Word embeddings are int8
 * too: same speed, 3.7× smaller file for the bundled model, one SST-2 dev label in 872 moved.
 */
export const DEFAULT_INT8_GRAPH: GraphOptions = {
  int8: true,
  int8Kernel: 'MatMulInteger',
  int8Embeddings: true,
};

/** Reads and checks `config.json` + `model.safetensors` into an architecture-neutral spec. */
export function readEncoderSpec(dir: string): EncoderSpec {
  const configPath = join(dir, 'config.json');
  if (!existsSync(configPath)) throw new ModelLoadError(`model folder ${dir} has no config.json`);
  const config = readJson(configPath) as Record<string, unknown>;
  if (!config || typeof config !== 'object')
    throw new ModelLoadError(`${configPath} is not a JSON object`);
  const architectures = Array.isArray(config.architectures) ? config.architectures.map(String) : [];
  const architecture = architectures.find((a) => a in READERS);
  if (!architecture) {
    throw new ModelLoadError(
      `${configPath} declares architectures ${JSON.stringify(architectures)}; the converter supports ${Object.keys(READERS).join(', ')}`,
    );
  }
  const weightsPath = join(dir, 'model.safetensors');
  if (!existsSync(weightsPath)) {
    const pickle = existsSync(join(dir, 'pytorch_model.bin'))
      ? ' (pytorch_model.bin is a pickle; only safetensors weights are read)'
      : '';
    throw new ModelLoadError(`model folder ${dir} has no model.safetensors${pickle}`);
  }
  const checkpoint = new Checkpoint(weightsPath, config, readSafetensors(weightsPath));
  return READERS[architecture]!(checkpoint);
}
