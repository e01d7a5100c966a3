import { mkdir } from 'node:fs/promises';
import type { Config } from '../../config.js';
import { isCommitSha } from '../commit-sha.js';
import { fetchRevision, selectFiles } from './api.js';
import type { RepoFile } from './api.js';
import {
  acquireLock,
  listSnapshot,
  lockPath,
  readCompleteManifest,
  readRef,
  refPath,
  snapshotDir,
  writeManifest,
  writeRef,
} from './cache.js';
import type { ManifestFile } from './cache.js';
import { fsError, HubError } from './errors.js';
import type { HubErrorKind } from './errors.js';
import type { HubClient, RetryPolicy } from './http.js';
import { createProgress } from './progress.js';
import type { ProgressOption } from './progress.js';
import { bringFile } from './snapshot-file.js';

/** Settings of one pull; the CLI and start-up fill them from Config. */
export interface PullOptions {
  /** MODEL_CACHE: root of the Hub cache (the standard layout; see cache.ts). */
  readonly cacheDir: string;
  /** HF_ENDPOINT: Hub base URL without trailing slash (config.ts trims it), or a mirror. */
  readonly endpoint: string;
  /** HF_TOKEN: sent as a bearer token to the Hub (never to a CDN on another origin). */
  readonly token?: string | undefined;
  /** HF_HUB_OFFLINE: serve from the cache or fail; no request is made. */
  readonly offline: boolean;
  /** 'auto' (default): a bar on a TTY stderr, plain lines otherwise. */
  readonly progress?: ProgressOption;
  /** Receives one line per notable event (resolution, cache hit, retries). */
  readonly log?: (line: string) => void;
  /** Default 4 tries, 500 ms doubling: rides out a Hub blip without stalling a start-up long. */
  readonly retry?: Partial<RetryPolicy>;
  /** Longest wait for response headers or the next body chunk; default 30 s. */
  readonly timeoutMs?: number;
}

/**
 * The PullOptions a Config implies (MODEL_CACHE, HF_ENDPOINT, HF_TOKEN, HF_HUB_OFFLINE), for
 * `sentiment-api pull` and MODEL_ID at start-up; `extra` adds progress, log and the like.
 */
export function pullOptionsFromConfig(
  config: Pick<Config, 'modelCache' | 'hfEndpoint' | 'hfToken' | 'hfOffline'>,
  extra: Partial<PullOptions> = {},
): PullOptions {
  return {
    cacheDir: config.modelCache,
    endpoint: config.hfEndpoint,
    token: config.hfToken,
    offline: config.hfOffline,
    ...extra,
  };
}

/** A model folder ready for `resolveModelFiles`. */
export interface PulledModel {
  /** `{cacheDir}/models--{org}--{name}/snapshots/{commit}`. */
  readonly dir: string;
  readonly repo: string;
  /** The 40-hex commit the revision resolved to. */
  readonly commit: string;
  /** True when no file was downloaded: the folder was already complete. */
  readonly fromCache: boolean;
}

/** A parsed `org/name[@revision]`. */
export interface ModelSpec {
  readonly repo: string;
  /** Branch, tag, `refs/pr/N` or commit sha; `main` when omitted. */
  readonly revision: string;
}

const REPO_RE = /^[A-Za-z0-9][\w.-]*\/[A-Za-z0-9][\w.-]*$/;

/**
 * Parses `org/name[@revision]`. Names with `..` or `--` are refused (the Hub refuses them too,
 * and `--` would make the cache folder name ambiguous), as are revisions that could climb out
 * of the `refs/` folder.
 */
export function parseModelSpec(spec: string): ModelSpec {
  const at = spec.indexOf('@');
  const repo = (at === -1 ? spec : spec.slice(0, at)).trim();
  const revision = at === -1 ? 'main' : spec.slice(at + 1).trim();
  if (!REPO_RE.test(repo) || repo.includes('..') || repo.includes('--')) {
    throw new HubError('bad_spec', `'${spec}' is not a Hub model id: expected org/name[@revision]`);
  }
  const badRevision =
    revision === '' ||
    revision.startsWith('/') ||
    /[\\\p{Cc}]/u.test(revision) ||
    revision.split('/').some((part) => part === '' || part === '.' || part === '..');
  if (badRevision) {
    throw new HubError('bad_spec', `'${revision}' is not a valid revision in '${spec}'`);
  }
  return { repo, revision };
}

/** The commit `revision` names: itself when a commit, else what refs/ recorded. */
function cachedCommit(cacheDir: string, spec: ModelSpec): string | undefined {
  return isCommitSha(spec.revision) ? spec.revision : readRef(cacheDir, spec.repo, spec.revision);
}

/** The snapshot for `revision` if our manifest says it is complete. */
function findCached(cacheDir: string, spec: ModelSpec): PulledModel | undefined {
  const commit = cachedCommit(cacheDir, spec);
  if (!commit || !readCompleteManifest(cacheDir, spec.repo, commit)) return undefined;
  return {
    dir: snapshotDir(cacheDir, spec.repo, commit),
    repo: spec.repo,
    commit,
    fromCache: true,
  };
}

/**
 * A snapshot without our manifest (another tool fetched it, e.g. huggingface_hub) that holds
 * what we would pull: weights, a tokenizer, config.json. Only used when the Hub cannot be
 * asked for the file list; online, such a snapshot is adopted file by file instead.
 */
function findForeign(cacheDir: string, spec: ModelSpec): PulledModel | undefined {
  const commit = cachedCommit(cacheDir, spec);
  if (!commit) return undefined;
  const dir = snapshotDir(cacheDir, spec.repo, commit);
  const files = listSnapshot(dir).map((f) => ({ ...f, sha256: undefined, etag: undefined }));
  try {
    selectFiles(spec.repo, { commit, files });
  } catch {
    return undefined;
  }
  return { dir, repo: spec.repo, commit, fromCache: true };
}

/** Failures after which the staging folder is worth keeping: the next run resumes it. */
const RESUMABLE: ReadonlySet<HubErrorKind> = new Set([
  'network',
  'server',
  'disk_full',
  'filesystem',
]);

/**
 * Pulls `org/name[@revision]` from the Hub into the snapshot folder
 * `{cacheDir}/models--{org}--{name}/snapshots/{commit}` and returns it. Mirrors
 * huggingface_hub: the revision is resolved to a commit through the API, files come from
 * `/{repo}/resolve/{commit}/{path}`, a file the cache holds is never fetched again (whichever
 * tool fetched it), and when the Hub is unreachable (or answers 5xx) a branch or tag pulled
 * before is served from the cache. A pinned complete commit, or `offline`, touches no network.
 *
 * A snapshot is complete once our manifest is written, after every file is in and verified;
 * until then it lacks config.json and does not load. Errors are HubErrors (ModelSupplyError)
 * worded for the user.
 */
export async function pullModel(spec: string, opts: PullOptions): Promise<PulledModel> {
  const parsed = parseModelSpec(spec);
  const { repo, revision } = parsed;
  const log = opts.log ?? (() => {});
  const cached = findCached(opts.cacheDir, parsed);
  if (cached && (opts.offline || isCommitSha(revision))) {
    log(`${repo}@${revision}: using cached ${cached.dir}`);
    return cached;
  }
  const foreign = cached ? undefined : findForeign(opts.cacheDir, parsed);
  if (foreign && opts.offline) {
    log(`${repo}@${revision}: using ${foreign.dir}, fetched by another Hub client`);
    return foreign;
  }
  if (opts.offline) {
    throw new HubError(
      'offline_not_cached',
      `model ${repo}@${revision} is not cached in ${opts.cacheDir} and HF_HUB_OFFLINE=1 forbids ` +
        `downloading it; pull it first with network access ('sentiment-api pull ${repo}@${revision}' ` +
        `without HF_HUB_OFFLINE), or set MODEL_CACHE to the cache that holds it`,
    );
  }
  const client: HubClient = {
    endpoint: opts.endpoint,
    token: opts.token || undefined,
    timeoutMs: opts.timeoutMs ?? 30_000,
    retry: { attempts: 4, baseDelayMs: 500, ...opts.retry },
    log,
  };
  let info;
  try {
    info = await fetchRevision(client, repo, revision);
  } catch (error) {
    const fallBack =
      error instanceof HubError && (error.kind === 'network' || error.kind === 'server');
    const usable = cached ?? foreign;
    if (usable && fallBack) {
      log(`${repo}@${revision}: ${error.message}; using cached commit ${usable.commit}`);
      return usable;
    }
    throw error;
  }
  const { commit } = info;
  log(`${repo}@${revision} is commit ${commit}`);
  const dir = snapshotDir(opts.cacheDir, repo, commit);
  let downloaded = 0;
  if (!readCompleteManifest(opts.cacheDir, repo, commit)) {
    const files = selectFiles(repo, info);
    downloaded = await fetchAll(client, opts, parsed, commit, files);
    log(`${repo}@${revision}: ${downloaded} of ${files.length} files downloaded into ${dir}`);
  } else {
    log(`${repo}@${revision}: commit ${commit} is already cached`);
  }
  // After the snapshot: a ref to a snapshot that is not there breaks other tools' cache scans.
  if (!isCommitSha(revision)) {
    try {
      writeRef(opts.cacheDir, repo, revision, commit);
    } catch (error) {
      throw fsError(refPath(opts.cacheDir, repo, revision), opts.cacheDir, error);
    }
  }
  return { dir, repo, commit, fromCache: downloaded === 0 };
}

/**
 * Brings every file into the snapshot of `commit` (see snapshot-file.ts), then writes the
 * manifest that marks it complete, holding our lock for that commit throughout. On a failure
 * a later run can resume (network, 5xx, disk) the `.incomplete` part stays; a part that failed
 * its checksum is removed at once. Verified blobs and links stay either way: they are valid
 * cache entries, for us and for other tools. Returns how many files were downloaded.
 */
async function fetchAll(
  client: HubClient,
  opts: PullOptions,
  spec: ModelSpec,
  commit: string,
  files: readonly RepoFile[],
): Promise<number> {
  const { cacheDir } = opts;
  const what = `${spec.repo}@${commit}`;
  const dir = snapshotDir(cacheDir, spec.repo, commit);
  let release: () => Promise<void>;
  try {
    await mkdir(dir, { recursive: true });
    release = await acquireLock(lockPath(cacheDir, spec.repo, commit), what);
  } catch (error) {
    throw fsError(dir, cacheDir, error);
  }
  const progress = createProgress(opts.progress);
  try {
    const sizes = files.map((f) => f.size);
    const known = sizes.every((s) => s !== undefined);
    progress.start(known ? sizes.reduce<number>((a, s) => a + (s ?? 0), 0) : undefined);
    const pulled: ManifestFile[] = [];
    let downloaded = 0;
    for (const file of files) {
      const job = { repo: spec.repo, revision: spec.revision, commit, file, cacheDir, progress };
      const brought = await bringFile(client, job);
      pulled.push(brought.file);
      if (brought.downloaded) downloaded++;
    }
    const manifest = {
      repo: spec.repo,
      revision: spec.revision,
      commit,
      files: pulled,
      pulledAt: new Date().toISOString(),
      endpoint: client.endpoint,
    };
    try {
      writeManifest(cacheDir, manifest);
    } catch (error) {
      throw fsError(dir, cacheDir, error);
    }
    return downloaded;
  } catch (error) {
    if (!(error instanceof HubError) || RESUMABLE.has(error.kind)) {
      client.log(`${what}: partial download kept under ${cacheDir}; pulling again resumes it`);
    }
    throw error;
  } finally {
    progress.stop();
    await release();
  }
}
