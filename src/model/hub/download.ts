import { createHash } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { hashFileInto } from '../file-digest.js';
import type { RepoFile } from './api.js';
import { blobPath } from './cache.js';
import { fsError, HubError, networkError } from './errors.js';
import { hubGet, withRetry } from './http.js';
import type { HubClient, HubResponse } from './http.js';
import type { PullProgress } from './progress.js';

/** One file to download into a blob of the cache. */
export interface DownloadJob {
  readonly repo: string;
  readonly revision: string;
  readonly commit: string;
  readonly file: RepoFile;
  readonly cacheDir: string;
  readonly progress: PullProgress;
}

/** A blob downloaded and verified. */
export interface DownloadedBlob {
  /** `blobs/{etag}`. */
  readonly path: string;
  readonly etag: string;
  readonly size: number;
  readonly sha256: string;
}

/** huggingface_hub's `_normalize_etag`: drop the weak marker and the quotes. */
export function normalizeEtag(etag: string | null): string | undefined {
  if (!etag) return undefined;
  return etag.replace(/^W\//, '').replace(/^"(.*)"$/, '$1');
}

const SHA256_RE = /^[0-9a-f]{64}$/;
/** An etag that can name a file: the Hub's are hex digests. */
const SAFE_ETAG_RE = /^[\w.-]{1,128}$/;

/** `{endpoint}/{repo}/resolve/{commit}/{path}`, each path segment URL-encoded. */
export function resolveUrl(endpoint: string, repo: string, commit: string, path: string): string {
  const encoded = path.split('/').map(encodeURIComponent).join('/');
  return `${endpoint}/${repo}/resolve/${commit}/${encoded}`;
}

/** What the Hub's headers say about the file: etag (sha256 for LFS), full size, commit. */
function describe(res: HubResponse): { etag?: string; size?: number; commit?: string } {
  const h = res.hubHeaders;
  const etag = normalizeEtag(h.get('x-linked-etag') ?? h.get('etag'));
  let sizeText = h.get('x-linked-size') ?? undefined;
  if (sizeText === undefined && res.status === 200)
    sizeText = res.headers.get('content-length') ?? undefined;
  if (sizeText === undefined && res.status === 206) {
    sizeText = /\/(\d+)$/.exec(res.headers.get('content-range') ?? '')?.[1];
  }
  const size = sizeText !== undefined && /^\d+$/.test(sizeText) ? Number(sizeText) : undefined;
  return { etag, size, commit: h.get('x-repo-commit') ?? undefined };
}

/**
 * Downloads one file into `blobs/{etag}`: bytes go to `blobs/{etag}.incomplete`, which
 * survives a failed try and a failed run so the next one resumes with `Range: bytes=N-`; the
 * blob gets its final name only once its size and, for LFS files, its sha256 (the etag) match.
 * The etag is the API's (as `@huggingface/hub` names blobs); when the API gave none, the
 * response's ETag (as huggingface_hub does), else the sha256 of the bytes. Transient failures
 * are retried per the client's policy; each retry resumes from the bytes on disk.
 */
export async function downloadBlob(client: HubClient, job: DownloadJob): Promise<DownloadedBlob> {
  const { file, cacheDir, repo, commit } = job;
  // Without an etag from the API the part is named after the commit and path instead.
  const key = file.etag ?? `${commit}.${encodeURIComponent(file.path)}`;
  const part = `${blobPath(cacheDir, repo, key)}.incomplete`;
  try {
    await mkdir(dirname(part), { recursive: true });
  } catch (error) {
    throw fsError(part, cacheDir, error);
  }
  return withRetry(client, `downloading ${file.path}`, () => attempt(client, job, part));
}

async function attempt(client: HubClient, job: DownloadJob, part: string): Promise<DownloadedBlob> {
  const { file, repo, commit, progress } = job;
  let offset = existsSync(part) ? statSync(part).size : 0;
  if (file.size !== undefined && offset > file.size) {
    await rm(part, { force: true });
    offset = 0;
  }
  const url = resolveUrl(client.endpoint, repo, commit, file.path);
  const ctx = { repo, revision: job.revision, file: file.path };
  const res = await hubGet(
    client,
    url,
    ctx,
    offset > 0 ? { range: `bytes=${offset}-` } : {},
    [416],
  );
  const meta = describe(res);
  if (res.status === 416 || (res.status === 206 && !rangeStartsAt(res, offset))) {
    // The .part does not fit what the server has (a file larger than it): start over.
    await res.body.dump();
    await rm(part, { force: true });
    throw new HubError(
      'server',
      `the stored part of ${file.path} does not match; restarting it`,
      true,
    );
  }
  if (meta.commit && meta.commit !== commit) {
    await res.body.dump();
    throw new HubError(
      'server',
      `the Hub served ${file.path} from commit ${meta.commit}, not ${commit}`,
    );
  }
  if (res.status === 200 && offset > 0) {
    client.log(`${file.path}: the server ignored the Range request; downloading it again from 0`);
    offset = 0;
  }
  const expectedSize = meta.size ?? file.size;
  const expectedSha = meta.etag && SHA256_RE.test(meta.etag) ? meta.etag : file.sha256;

  const hash = createHash('sha256');
  let handle: FileHandle;
  try {
    if (offset > 0) await hashFileInto(hash, part);
    handle = await open(part, offset > 0 ? 'a' : 'w');
  } catch (error) {
    await res.body.dump().catch(() => undefined);
    throw fsError(part, job.cacheDir, error);
  }
  progress.file(file.path, expectedSize, offset);
  let written = 0;
  try {
    for await (const chunk of res.body) {
      const bytes = chunk as Buffer;
      try {
        await handle.write(bytes);
      } catch (error) {
        res.body.destroy();
        throw fsError(part, job.cacheDir, error);
      }
      hash.update(bytes);
      written += bytes.length;
      progress.advance(bytes.length);
    }
  } catch (error) {
    throw networkError(client.endpoint, error);
  } finally {
    await handle.close();
  }
  const size = offset + written;
  if (expectedSize !== undefined && size < expectedSize) {
    throw new HubError(
      'network',
      `the download of ${file.path} ended early at ${size} of ${expectedSize} bytes`,
      true,
    );
  }
  const sha256 = hash.digest('hex');
  const badSize = expectedSize !== undefined && size !== expectedSize;
  if (badSize || (expectedSha !== undefined && sha256 !== expectedSha)) {
    await rm(part, { force: true });
    const what = badSize
      ? `expected ${expectedSize} bytes, got ${size}`
      : `expected sha256 ${expectedSha}, got ${sha256}`;
    throw new HubError(
      'checksum',
      `checksum mismatch for ${file.path} of ${repo}@${commit}: ${what}; the download was discarded, pull again (if it repeats, the Hub or mirror at ${client.endpoint} serves bad data)`,
    );
  }
  const headerEtag =
    meta.etag !== undefined && SAFE_ETAG_RE.test(meta.etag) ? meta.etag : undefined;
  const etag = file.etag ?? headerEtag ?? sha256;
  const blob = blobPath(job.cacheDir, repo, etag);
  try {
    await rename(part, blob);
  } catch (error) {
    throw fsError(blob, job.cacheDir, error);
  }
  progress.fileDone(file.path);
  return { path: blob, etag, size, sha256 };
}

function rangeStartsAt(res: HubResponse, offset: number): boolean {
  const match = /^bytes (\d+)-/.exec(res.headers.get('content-range') ?? '');
  return match !== null && Number(match[1]) === offset;
}
