import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { ModelFiles } from './model-files.js';

/**
 * What identifies a model's outputs, for cache keys: the pulled commit when the folder has a
 * manifest, else a digest of the ONNX graph itself; plus the dtype served.
 */
export async function modelFingerprint(files: ModelFiles): Promise<string> {
  const identity = files.revision ?? (await sha256File(files.onnxPath));
  return `${identity}:${files.dtype}`;
}

async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
