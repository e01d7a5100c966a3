import { isCommitSha } from '../commit-sha.js';
import { ONNX_FILES, SAFETENSORS_FILE, TOKENIZER_FILES } from '../model-files.js';
import { HubError } from './errors.js';
import { hubGet, withRetry } from './http.js';
import type { HubClient } from './http.js';

/** One file of a repo at a commit, as the revision API lists it with `?blobs=true`. */
export interface RepoFile {
  readonly path: string;
  /** Bytes, when the API said; the download headers say again and win. */
  readonly size: number | undefined;
  /** sha256 of the content for LFS files (what X-Linked-Etag carries), else undefined. */
  readonly sha256: string | undefined;
  /**
   * The name of its blob in the Hub cache, as `@huggingface/hub` names it: the sha256 for LFS
   * files, else the git blob id (`blobId`, which the Hub also sends as the file's ETag).
   * Undefined when the API did not say (a mirror without `?blobs=true`).
   */
  readonly etag: string | undefined;
}

/** A revision resolved to its commit, with the files of that commit. */
export interface RevisionInfo {
  readonly commit: string;
  readonly files: readonly RepoFile[];
}

/**
 * Weights in order of preference: the ONNX graphs of a transformers.js ("Xenova") style repo
 * are served as they are; otherwise `model.safetensors` is pulled for `sentiment-api convert`.
 */
const ONNX_WEIGHTS = [ONNX_FILES.fp32, ONNX_FILES.int8] as const;

interface ApiSibling {
  rfilename?: unknown;
  size?: unknown;
  blobId?: unknown;
  lfs?: { sha256?: unknown; size?: unknown };
}

/**
 * Resolves `revision` (branch, tag, `refs/pr/N` or commit) through
 * `GET {endpoint}/api/models/{repo}/revision/{revision}?blobs=true`, the call behind
 * huggingface_hub's `model_info(files_metadata=True)`. The revision is URL-encoded whole, so
 * `refs/pr/1` travels as `refs%2Fpr%2F1`.
 */
export async function fetchRevision(
  client: HubClient,
  repo: string,
  revision: string,
): Promise<RevisionInfo> {
  const url = `${client.endpoint}/api/models/${repo}/revision/${encodeURIComponent(revision)}?blobs=true`;
  return withRetry(client, `resolving ${repo}@${revision}`, async () => {
    const res = await hubGet(client, url, { repo, revision }, { accept: 'application/json' });
    let body: { sha?: unknown; siblings?: unknown };
    try {
      body = (await res.body.json()) as typeof body;
    } catch (error) {
      throw new HubError('server', `the Hub sent an unreadable answer for ${url}`, true, {
        cause: error,
      });
    }
    if (typeof body.sha !== 'string' || !isCommitSha(body.sha)) {
      throw new HubError('server', `the Hub's answer for ${url} has no commit sha`);
    }
    const siblings = Array.isArray(body.siblings) ? (body.siblings as ApiSibling[]) : [];
    const files = siblings
      .filter((s): s is ApiSibling & { rfilename: string } => typeof s.rfilename === 'string')
      .map((s) => {
        const sha256 = typeof s.lfs?.sha256 === 'string' ? s.lfs.sha256 : undefined;
        const blobId = typeof s.blobId === 'string' ? s.blobId : undefined;
        return {
          path: s.rfilename,
          size: typeof s.size === 'number' ? s.size : undefined,
          sha256,
          etag: sha256 ?? blobId,
        };
      });
    return { commit: body.sha, files };
  });
}

/**
 * Picks what the service needs from a repo, in download order: the weights (ONNX graphs
 * when the repo has them, else model.safetensors), the tokenizer files present, config.json.
 * Throws a `no_weights` HubError when there is nothing to serve or convert, `unusable_repo` when
 * config.json or a tokenizer is missing.
 */
export function selectFiles(repo: string, info: RevisionInfo): RepoFile[] {
  const byPath = new Map(info.files.map((f) => [f.path, f]));
  const onnx = ONNX_WEIGHTS.flatMap((p) => byPath.get(p) ?? []);
  const safetensors = byPath.get(SAFETENSORS_FILE);
  const weights = onnx.length > 0 ? onnx : safetensors ? [safetensors] : [];
  if (weights.length === 0) {
    throw new HubError(
      'no_weights',
      `repo ${repo} at ${info.commit} has no usable weights: expected ${SAFETENSORS_FILE} or ${ONNX_WEIGHTS[0]}`,
    );
  }
  const config = byPath.get('config.json');
  if (!config) {
    throw new HubError(
      'unusable_repo',
      `repo ${repo} at ${info.commit} has no config.json: is it a transformers model?`,
    );
  }
  const tokenizer = TOKENIZER_FILES.flatMap((p) => byPath.get(p) ?? []);
  if (!byPath.has('tokenizer.json') && !byPath.has('vocab.txt')) {
    throw new HubError(
      'unusable_repo',
      `repo ${repo} at ${info.commit} has no tokenizer: expected tokenizer.json or vocab.txt`,
    );
  }
  // config.json comes last: until every other file is in, a snapshot folder lacks it and so
  // fails resolveModelFiles, whoever points at it.
  return [...weights, ...tokenizer, config];
}
