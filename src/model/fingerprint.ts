import { sha256File } from './file-digest.js';
import type { ModelFiles } from './model-files.js';

/**
 * What identifies a model's outputs, for cache keys: the pulled commit when the folder is a
 * Hub cache snapshot, else a digest of the ONNX graph itself; plus the dtype served.
 */
export async function modelFingerprint(files: ModelFiles): Promise<string> {
  const identity = files.revision ?? (await sha256File(files.onnxPath));
  return `${identity}:${files.dtype}`;
}
