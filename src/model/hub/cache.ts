import { existsSync, readFileSync, statSync } from 'node:fs';
import { mkdir, open, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { HubError } from './errors.js';

/**
 * The cache holds one folder per repo and one complete, verified folder per commit:
 *
 *   {cacheDir}/{org}--{name}/{commit}/            config.json, tokenizer…, weights, manifest.json
 *   {cacheDir}/{org}--{name}/{commit}.incomplete/ staging of a pull in progress (.part files)
 *   {cacheDir}/{org}--{name}/{commit}.lock        pid of the process pulling that commit
 *   {cacheDir}/{org}--{name}/refs/{revision}      the commit a branch or tag pointed at
 *
 * as huggingface_hub's cache does (`models--org--name/refs/main`), minus its blob store: a model
 * folder here must be loadable as it is, so files are plain files, not symlinks.
 */

/** What `manifest.json` records about a pulled folder; model-files.ts reads `commit`. */
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

/** One pulled file; `sha256` is set for LFS files, whose etag is their sha256. */
export interface ManifestFile {
  readonly path: string;
  readonly size: number;
  readonly sha256?: string;
}

/** Name of the manifest inside a model folder. */
export const MANIFEST = 'manifest.json';

/** `{cacheDir}/{org}--{name}`. */
export function repoDir(cacheDir: string, repo: string): string {
  return join(cacheDir, repo.replace('/', '--'));
}

/** `{cacheDir}/{org}--{name}/{commit}`: the folder a model is served from. */
export function commitDir(cacheDir: string, repo: string, commit: string): string {
  return join(repoDir(cacheDir, repo), commit);
}

/**
 * The manifest of `dir` if the folder is complete: manifest present, for `commit`, and every
 * file it lists present with its recorded size. Sizes only, no hashing: the folder was verified
 * before it was renamed into place, and this check runs on every start.
 */
export function readCompleteManifest(dir: string, commit: string): Manifest | undefined {
  const path = join(dir, MANIFEST);
  if (!existsSync(path)) return undefined;
  let manifest: Manifest;
  try {
    manifest = JSON.parse(readFileSync(path, 'utf8')) as Manifest;
  } catch {
    return undefined;
  }
  if (manifest.commit !== commit || !Array.isArray(manifest.files)) return undefined;
  for (const file of manifest.files) {
    const filePath = join(dir, file.path);
    if (!existsSync(filePath) || statSync(filePath).size !== file.size) return undefined;
  }
  return manifest;
}

/** Writes `manifest.json` into the (staging) folder. */
export async function writeManifest(dir: string, manifest: Manifest): Promise<void> {
  await writeFile(join(dir, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
}

function refPath(cacheDir: string, repo: string, revision: string): string {
  return join(repoDir(cacheDir, repo), 'refs', revision);
}

/** The commit `revision` pointed at when last pulled, from `refs/{revision}`. */
export function readRef(cacheDir: string, repo: string, revision: string): string | undefined {
  const path = refPath(cacheDir, repo, revision);
  if (!existsSync(path) || !statSync(path).isFile()) return undefined;
  const commit = readFileSync(path, 'utf8').trim();
  return /^[0-9a-f]{40}$/.test(commit) ? commit : undefined;
}

/** Records `revision → commit`, written to a temporary name and renamed so it is never torn. */
export async function writeRef(
  cacheDir: string,
  repo: string,
  revision: string,
  commit: string,
): Promise<void> {
  const path = refPath(cacheDir, repo, revision);
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, commit);
  await rename(tmp, path);
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
 * Takes `lockPath` (created exclusively, holding our pid) so that two processes never write
 * the same staging folder. A lock whose process is gone is stale and taken over; a live one
 * is a `busy` HubError. Returns the release function.
 */
export async function acquireLock(lockPath: string, what: string): Promise<() => Promise<void>> {
  await mkdir(dirname(lockPath), { recursive: true });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(lockPath, 'wx');
      await handle.writeFile(String(process.pid));
      await handle.close();
      return () => rm(lockPath, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const pid = Number((await readFile(lockPath, 'utf8').catch(() => '')).trim());
      if (Number.isInteger(pid) && pid > 0 && pidAlive(pid)) {
        throw new HubError(
          'busy',
          `another process (pid ${pid}) is pulling ${what}; wait for it, or delete ${lockPath} if it is gone`,
        );
      }
      await rm(lockPath, { force: true });
    }
  }
  throw new HubError('busy', `cannot take the lock ${lockPath} for ${what}`);
}

/**
 * Moves the verified staging folder to its final name in one rename, so a reader sees either
 * no folder or a complete one. A leftover final folder without a complete manifest (a crash
 * of some older tool, a hand copy) is replaced.
 */
export async function publishFolder(staging: string, final: string, commit: string): Promise<void> {
  if (existsSync(final)) {
    if (readCompleteManifest(final, commit)) {
      await rm(staging, { recursive: true, force: true });
      return;
    }
    await rm(final, { recursive: true, force: true });
  }
  await rename(staging, final);
}
