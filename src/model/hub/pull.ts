import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Config } from '../../config.js';
import { COMMIT_RE, fetchRevision, selectFiles } from './api.js';
import type { RepoFile } from './api.js';
import {
  acquireLock,
  commitDir,
  publishFolder,
  readCompleteManifest,
  readRef,
  repoDir,
  writeManifest,
  writeRef,
} from './cache.js';
import type { ManifestFile } from './cache.js';
import { downloadFile } from './download.js';
import { fsError, HubError } from './errors.js';
import type { HubErrorKind } from './errors.js';
import type { HubClient, RetryPolicy } from './http.js';
import { createProgress } from './progress.js';
import type { ProgressOption } from './progress.js';

/** Settings of one pull; the CLI and start-up fill them from Config. */
export interface PullOptions {
  /** MODEL_CACHE: root of the model cache. */
  readonly cacheDir: string;
  /** HF_ENDPOINT: Hub base URL, e.g. https://huggingface.co or a mirror. */
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
  /** `{cacheDir}/{org}--{name}/{commit}`. */
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

/** The complete cached folder for `revision`: directly for a commit, via refs/ otherwise. */
function findCached(cacheDir: string, spec: ModelSpec): PulledModel | undefined {
  const commit = COMMIT_RE.test(spec.revision)
    ? spec.revision
    : readRef(cacheDir, spec.repo, spec.revision);
  if (!commit) return undefined;
  const dir = commitDir(cacheDir, spec.repo, commit);
  return readCompleteManifest(dir, commit)
    ? { dir, repo: spec.repo, commit, fromCache: true }
    : undefined;
}

/** Failures after which the staging folder is worth keeping: the next run resumes it. */
const RESUMABLE: ReadonlySet<HubErrorKind> = new Set([
  'network',
  'server',
  'disk_full',
  'filesystem',
]);

/**
 * Pulls `org/name[@revision]` from the Hub into `{cacheDir}/{org}--{name}/{commit}` and returns
 * that folder. Mirrors huggingface_hub: the revision is resolved to a commit through the API,
 * files come from `/{repo}/resolve/{commit}/{path}`, a cached commit is never fetched again,
 * and when the Hub is unreachable (or answers 5xx) a branch or tag pulled before is served
 * from the cache. A pinned commit, or `offline`, touches no network at all.
 *
 * Nothing half-done is ever at the final path: files are verified in a staging folder that is
 * renamed into place with its manifest. Errors are HubErrors (ModelSupplyError) worded for the
 * user.
 */
export async function pullModel(spec: string, opts: PullOptions): Promise<PulledModel> {
  const parsed = parseModelSpec(spec);
  const { repo, revision } = parsed;
  const log = opts.log ?? (() => {});
  const cached = findCached(opts.cacheDir, parsed);
  if (cached && (opts.offline || COMMIT_RE.test(revision))) {
    log(`${repo}@${revision}: using cached ${cached.dir}`);
    return cached;
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
    endpoint: opts.endpoint.replace(/\/+$/, ''),
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
    if (cached && fallBack) {
      log(`${repo}@${revision}: ${error.message}; using cached commit ${cached.commit}`);
      return cached;
    }
    throw error;
  }
  const { commit } = info;
  log(`${repo}@${revision} is commit ${commit}`);
  const dir = commitDir(opts.cacheDir, repo, commit);
  const fromCache = readCompleteManifest(dir, commit) !== undefined;
  if (!fromCache) {
    const files = selectFiles(repo, info);
    await downloadAll(client, opts, parsed, commit, files);
    log(`${repo}@${revision}: pulled ${files.length} files into ${dir}`);
  } else {
    log(`${repo}@${revision}: commit ${commit} is already cached`);
  }
  if (!COMMIT_RE.test(revision)) {
    await writeRef(opts.cacheDir, repo, revision, commit).catch((error: unknown) => {
      throw fsError(join(repoDir(opts.cacheDir, repo), 'refs', revision), opts.cacheDir, error);
    });
  }
  return { dir, repo, commit, fromCache };
}

/**
 * Downloads every file into `{commit}.incomplete`, writes the manifest and renames the folder
 * into place, holding `{commit}.lock` throughout. On a failure that a later run can resume
 * (network, 5xx, disk) the staging folder and its `.part` files stay; on any other failure
 * (checksum, 4xx) it is removed.
 */
async function downloadAll(
  client: HubClient,
  opts: PullOptions,
  spec: ModelSpec,
  commit: string,
  files: readonly RepoFile[],
): Promise<void> {
  const parent = repoDir(opts.cacheDir, spec.repo);
  const staging = join(parent, `${commit}.incomplete`);
  const what = `${spec.repo}@${commit}`;
  let release: () => Promise<void>;
  try {
    await mkdir(staging, { recursive: true });
    release = await acquireLock(join(parent, `${commit}.lock`), what);
  } catch (error) {
    throw fsError(staging, opts.cacheDir, error);
  }
  const progress = createProgress(opts.progress);
  try {
    const sizes = files.map((f) => f.size);
    const known = sizes.every((s) => s !== undefined);
    progress.start(known ? sizes.reduce<number>((a, s) => a + (s ?? 0), 0) : undefined);
    const pulled: ManifestFile[] = [];
    for (const file of files) {
      const job = { repo: spec.repo, revision: spec.revision, commit, file, stagingDir: staging };
      pulled.push(await downloadFile(client, { ...job, cacheDir: opts.cacheDir, progress }));
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
      await writeManifest(staging, manifest);
      await publishFolder(staging, commitDir(opts.cacheDir, spec.repo, commit), commit);
    } catch (error) {
      throw fsError(staging, opts.cacheDir, error);
    }
  } catch (error) {
    const keep = !(error instanceof HubError) || RESUMABLE.has(error.kind);
    if (keep) {
      client.log(`${what}: partial download kept in ${staging}; pulling again resumes it`);
    } else {
      await rm(staging, { recursive: true, force: true });
    }
    throw error;
  } finally {
    progress.stop();
    await release();
  }
}
