import { BUNDLED_MODEL_DIR, type Config } from '../config.js';
import { modelFingerprint } from './fingerprint.js';
import { readModelConfig, resolveModelFiles, type ModelConfig, type ModelFiles } from './layout.js';

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
 * MODEL_DIR, else the bundled model. Throws ModelLoadError naming what is missing.
 */
export async function resolveModel(config: Config): Promise<ResolvedModel> {
  const bundled = !config.modelDir;
  const dir = config.modelDir ?? BUNDLED_MODEL_DIR;
  const files = resolveModelFiles(dir, config.modelDtype);
  const source = bundled ? `bundled model ${dir}` : `MODEL_DIR ${dir}`;
  return {
    files,
    config: readModelConfig(files.configPath),
    fingerprint: await modelFingerprint(files),
    source,
    bundled,
  };
}
