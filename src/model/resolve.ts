import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { BUNDLED_MODEL_DIR, type Config } from '../config.js';
import { convertModel } from './convert/index.js';
import { modelFingerprint } from './fingerprint.js';
import { pullModel, pullOptionsFromConfig } from './hub/index.js';
import {
  ONNX_FILES,
  readModelConfig,
  resolveModelFiles,
  type ModelConfig,
  type ModelFiles,
} from './model-files.js';

/** The model chosen by the configuration, its files checked and its config read. */
export interface ResolvedModel {
  readonly files: ModelFiles;
  readonly config: ModelConfig;
  readonly fingerprint: string;
  /** Where it came from, for the start-up log: "bundled …", "MODEL_DIR …", "MODEL_ID …". */
  readonly source: string;
  readonly bundled: boolean;
}

/**
 * Finds the folder to serve: MODEL_ID (pulled into MODEL_CACHE on first start and converted
 * to ONNX when the repo only has safetensors), else MODEL_DIR, else the bundled model.
 * Throws ModelLoadError / ModelSupplyError with a message that names what is wrong.
 */
export async function resolveModel(
  config: Config,
  log: (line: string) => void = () => undefined,
): Promise<ResolvedModel> {
  let dir: string;
  let source: string;
  if (config.modelId) {
    const pulled = await pullModel(
      config.modelId,
      pullOptionsFromConfig(config, { log, progress: 'none' }),
    );
    dir = pulled.dir;
    source = `MODEL_ID ${pulled.repo}@${pulled.commit}`;
    await ensureGraph(dir, config.modelDtype, log);
  } else {
    dir = config.modelDir ?? BUNDLED_MODEL_DIR;
    source = config.modelDir ? `MODEL_DIR ${dir}` : `bundled model ${dir}`;
  }
  const files = resolveModelFiles(dir, config.modelDtype);
  return {
    files,
    config: readModelConfig(files.configPath),
    fingerprint: await modelFingerprint(files),
    source,
    bundled: !config.modelId && !config.modelDir,
  };
}

/** A pulled repo with weights but no ONNX graph for the dtype gets one, written once. */
async function ensureGraph(
  dir: string,
  dtype: Config['modelDtype'],
  log: (line: string) => void,
): Promise<void> {
  if (existsSync(join(dir, ONNX_FILES[dtype])) || !existsSync(join(dir, 'model.safetensors')))
    return;
  log(`converting ${join(dir, 'model.safetensors')} to ONNX (${dtype}); done once per model`);
  const { written } = await convertModel(dir, dtype === 'int8' ? { quantize: 'int8' } : {});
  log(`wrote ${written.join(', ')}`);
}
