import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Writes `data` to `path` through a sibling temp file and a rename, so a reader (the server
 * loading a model, a second convert, another tool reading the Hub cache) sees the old file or
 * the whole new one, never half of it. When `path` is a symlink (a file of a Hub cache
 * snapshot), the rename replaces the link itself: the blob it pointed at is never written.
 */
export function writeFileAtomic(path: string, data: Uint8Array | string): void {
  mkdirSync(dirname(path), { recursive: true });
  const temp = `${path}.${process.pid}.${Date.now()}.tmp`;
  try {
    writeFileSync(temp, data);
    renameSync(temp, path);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
}
