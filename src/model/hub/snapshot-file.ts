import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { sha256File } from '../file-digest.js';
import type { RepoFile } from './api.js';
import { blobPath, fileSize, linkBlob, snapshotDir } from './cache.js';
import type { ManifestFile } from './cache.js';
import { downloadBlob } from './download.js';
import type { DownloadJob } from './download.js';
import { fsError } from './errors.js';
import type { HubClient } from './http.js';

/** A file of the snapshot, and whether it had to be downloaded. */
export interface SnapshotFile {
  readonly file: ManifestFile;
  readonly downloaded: boolean;
}

/**
 * Puts one file into `snapshots/{commit}/{path}`, downloading only when the cache lacks it:
 * a file already in the snapshot (an interrupted pull of ours, or huggingface_hub,
 * transformers, `@huggingface/hub`) is kept, a blob already there (another commit sharing
 * the file) is linked, and only otherwise is the file fetched. Whatever is reused is checked
 * once against the Hub's size and, for LFS files, sha256; a file that fails is fetched anew.
 */
export async function bringFile(client: HubClient, job: DownloadJob): Promise<SnapshotFile> {
  const { file, cacheDir, repo, commit } = job;
  const link = join(snapshotDir(cacheDir, repo, commit), file.path);
  try {
    const inSnapshot = await verified(link, file);
    if (inSnapshot) return { file: inSnapshot, downloaded: false };
    await rm(link, { force: true });
    if (file.etag) {
      const blob = blobPath(cacheDir, repo, file.etag);
      const shared = await verified(blob, file);
      if (shared) {
        await linkBlob(link, blob);
        return { file: shared, downloaded: false };
      }
    }
  } catch (error) {
    throw fsError(link, cacheDir, error);
  }
  const blob = await downloadBlob(client, job);
  try {
    await linkBlob(link, blob.path);
  } catch (error) {
    throw fsError(link, cacheDir, error);
  }
  const { etag, size, sha256 } = blob;
  return { file: { path: file.path, size, sha256, etag }, downloaded: true };
}

/** The manifest entry for the file at `path` if it is there and matches what the Hub lists. */
async function verified(path: string, file: RepoFile): Promise<ManifestFile | undefined> {
  const size = fileSize(path);
  if (size === undefined || (file.size !== undefined && size !== file.size)) return undefined;
  const sha256 = await sha256File(path);
  if (file.sha256 !== undefined && sha256 !== file.sha256) return undefined;
  return { path: file.path, size, sha256, etag: file.etag ?? sha256 };
}
