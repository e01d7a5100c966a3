import { existsSync, lstatSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { copyFile, mkdir, open, readFile, rm, symlink } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { isCommitSha } from '../commit-sha.js';
import { writeFileAtomic } from '../write-file-atomic.js';
import { HubError } from './errors.js';

/**
 * The cache is the Hugging Face Hub cache, in the layout every Hub client shares
 * (huggingface_hub and so transformers, `@huggingface/hub`'s snapshotDownload; described at
 * https://huggingface.co/docs/hub/local-cache), so that a model one of them fetched is served
 * without a download and one we fetched is theirs too:
 *
 *   {cacheDir}/models--{org}--{name}/
 *     blobs/{etag}                 the bytes of one file: etag = sha256 (LFS) or git blob id
 *     blobs/{etag}.incomplete      a download in progress, resumed with Range (the name
 *                                  huggingface_hub resumes too)
 *     snapshots/{commit}/{path}    relative symlink to ../../blobs/{etag} (one ../ more per
 *                                  folder of {path}): the folder a model is served from
 *     refs/{revision}              the commit a branch or tag pointed at, no newline
 *                                  (refs/refs/pr/1 for a PR)
 *     .sentiment-api/              ours; the standard tools read only blobs/, snapshots/, refs/
 *       {commit}.json              the manifest: sizes and sha256 of the files we need,
 *                                  written last, so it marks the snapshot complete
 *       {commit}.lock              pid of the process pulling that commit
 *
 * A snapshot is filled one verified file at a time, config.json last, so until it is complete
 * it fails resolveModelFiles. The ONNX graphs `convert` writes into a snapshot are plain files
 * that replace no link's target (write-file-atomic.ts renames over the link itself).
 */

/** What the manifest records about a pulled snapshot. */
export interface Manifest {
  readonly repo: string;
  /** The revision asked for (branch, tag or commit). */
  readonly revision: string;
  /** The 40-hex commit it resolved to. */
  readonly commit: string;
  readonly files: readonly ManifestFile[];
  /** ISO-8601 time the pull finished. */
  readonly pulledAt: string;
  readonly endpoint: string;
}

/** One file of a snapshot, as verified when it was fetched or adopted. */
export interface ManifestFile {
  readonly path: string;
  readonly size: number;
  readonly sha256: string;
  /** The blob it links to, `blobs/{etag}`. */
  readonly etag: string;
}

/** Our folder beside the standard ones; other Hub clients ignore it. */
const OURS = '.sentiment-api';

/** `{cacheDir}/models--{org}--{name}`, as huggingface_hub's `repo_folder_name` names it. */
export function repoDir(cacheDir: string, repo: string): string {
  return join(cacheDir, `models--${repo.replace('/', '--')}`);
}

/** `…/snapshots/{commit}`: the folder a model is served from. */
export function snapshotDir(cacheDir: string, repo: string, commit: string): string {
  return join(repoDir(cacheDir, repo), 'snapshots', commit);
}

/** `…/blobs/{etag}`. */
export function blobPath(cacheDir: string, repo: string, etag: string): string {
  return join(repoDir(cacheDir, repo), 'blobs', etag);
}

/** `…/.sentiment-api/{commit}.lock`. */
export function lockPath(cacheDir: string, repo: string, commit: string): string {
  return join(repoDir(cacheDir, repo), OURS, `${commit}.lock`);
}

/** `…/.sentiment-api/{commit}.json`. */
export function manifestPath(cacheDir: string, repo: string, commit: string): string {
  return join(repoDir(cacheDir, repo), OURS, `${commit}.json`);
}

/** `…/refs/{revision}`. */
export function refPath(cacheDir: string, repo: string, revision: string): string {
  return join(repoDir(cacheDir, repo), 'refs', revision);
}

/**
 * The manifest of the snapshot of `commit` if that snapshot is complete: manifest present, for
 * `commit`, and every file it lists present (through its link) with its recorded size. Sizes
 * only, no hashing: each file was verified when it came in, and this check runs on every start.
 */
export function readCompleteManifest(
  cacheDir: string,
  repo: string,
  commit: string,
): Manifest | undefined {
  const path = manifestPath(cacheDir, repo, commit);
  if (!existsSync(path)) return undefined;
  let manifest: Manifest;
  try {
    manifest = JSON.parse(readFileSync(path, 'utf8')) as Manifest;
  } catch {
    return undefined;
  }
  if (manifest.commit !== commit || !Array.isArray(manifest.files)) return undefined;
  const dir = snapshotDir(cacheDir, repo, commit);
  for (const file of manifest.files) {
    const size = fileSize(join(dir, file.path));
    if (size !== file.size) return undefined;
  }
  return manifest;
}

/** Size of the file at `path` through any symlink; undefined if absent or a broken link. */
export function fileSize(path: string): number | undefined {
  try {
    const stat = statSync(path);
    return stat.isFile() ? stat.size : undefined;
  } catch {
    return undefined;
  }
}

/** Writes the manifest, atomically: once it is there, the snapshot counts as complete. */
export function writeManifest(cacheDir: string, manifest: Manifest): void {
  writeFileAtomic(
    manifestPath(cacheDir, manifest.repo, manifest.commit),
    `${JSON.stringify(manifest, null, 2)}\n`,
  );
}

/** The commit `revision` pointed at when last pulled (by us or another tool), from refs/. */
export function readRef(cacheDir: string, repo: string, revision: string): string | undefined {
  const path = refPath(cacheDir, repo, revision);
  if (fileSize(path) === undefined) return undefined;
  const commit = readFileSync(path, 'utf8').trim();
  return isCommitSha(commit) ? commit : undefined;
}

/** Records `revision → commit` as huggingface_hub does (no newline), never torn. */
export function writeRef(cacheDir: string, repo: string, revision: string, commit: string): void {
  writeFileAtomic(refPath(cacheDir, repo, revision), commit);
}

/**
 * Makes `{snapshot}/{path}` a relative symlink to `blob`, as huggingface_hub's
 * `_create_symlink` does (relative, so the cache can be moved or mounted elsewhere). Where the
 * file system refuses symlinks the blob is copied instead, as huggingface_hub falls back to.
 */
export async function linkBlob(link: string, blob: string): Promise<void> {
  await mkdir(dirname(link), { recursive: true });
  await rm(link, { force: true });
  try {
    await symlink(relative(dirname(link), blob), link);
  } catch (error) {
    if (!['EPERM', 'EACCES', 'ENOTSUP', 'EOPNOTSUPP'].includes(errorCodeOf(error))) throw error;
    await copyFile(blob, link);
  }
}

function errorCodeOf(error: unknown): string {
  return String((error as NodeJS.ErrnoException).code ?? '');
}

/**
 * The files of a snapshot folder (relative paths, links followed), with their sizes: what
 * another tool left there, when our manifest is absent. A broken link is no file.
 */
export function listSnapshot(dir: string): { path: string; size: number }[] {
  const out: { path: string; size: number }[] = [];
  const walk = (sub: string) => {
    for (const entry of readdirSync(join(dir, sub))) {
      const rel = sub ? `${sub}/${entry}` : entry;
      const full = join(dir, rel);
      if (lstatSync(full).isDirectory()) walk(rel);
      else {
        const size = fileSize(full);
        if (size !== undefined) out.push({ path: rel, size });
      }
    }
  };
  if (existsSync(dir)) walk('');
  return out;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes `path` (created exclusively, holding our pid) so that two of our processes never
 * fetch into the same snapshot at once. A lock whose process is gone is stale and taken over;
 * a live one is a `busy` HubError. Returns the release function.
 */
export async function acquireLock(path: string, what: string): Promise<() => Promise<void>> {
  await mkdir(dirname(path), { recursive: true });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(path, 'wx');
      await handle.writeFile(String(process.pid));
      await handle.close();
      return () => rm(path, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const pid = Number((await readFile(path, 'utf8').catch(() => '')).trim());
      if (Number.isInteger(pid) && pid > 0 && pidAlive(pid)) {
        throw new HubError(
          'busy',
          `another process (pid ${pid}) is pulling ${what}; wait for it, or delete ${path} if it is gone`,
        );
      }
      await rm(path, { force: true });
    }
  }
  throw new HubError('busy', `cannot take the lock ${path} for ${what}`);
}
