import { ModelSupplyError, type ErrorCode } from '../../errors.js';

/**
 * Why a pull failed, for callers (the CLI, start-up) that react differently per cause; the
 * message is what a user reads. Mirrors the exception classes of huggingface_hub's
 * `utils/_http.py` (`hf_raise_for_status`).
 */
export type HubErrorKind =
  | 'bad_spec'
  | 'repo_not_found'
  | 'revision_not_found'
  | 'entry_not_found'
  | 'unauthorized'
  | 'server'
  | 'network'
  | 'offline_not_cached'
  | 'checksum'
  | 'disk_full'
  | 'filesystem'
  | 'no_weights'
  | 'unusable_repo'
  | 'busy';

/**
 * A Hub pull failed; `kind` says why (its catalogue code is `hub_<kind>`, errors.ts),
 * `retryable` whether trying again may succeed.
 */
export class HubError extends ModelSupplyError {
  constructor(
    readonly kind: HubErrorKind,
    message: string,
    readonly retryable = false,
    options?: ErrorOptions,
  ) {
    const code: ErrorCode = `hub_${kind}`;
    super(message, options, code);
  }
}

/** What the HTTP layer knows about a failed response, enough to word the error. */
export interface FailedResponse {
  readonly status: number;
  readonly url: string;
  readonly errorCode: string | undefined;
  readonly errorMessage: string | undefined;
  readonly withToken: boolean;
  /** Set for file downloads; undefined for the revision API call. */
  readonly file: string | undefined;
}

/**
 * Turns a non-2xx Hub answer into a HubError. As in huggingface_hub, a 401 without a token on
 * a repo route means "not found or private" (the Hub does not tell which), and 5xx and 429 are
 * transient and retried by the caller.
 */
export function errorForStatus(repo: string, revision: string, r: FailedResponse): HubError {
  const tokenHint = r.withToken
    ? 'check that HF_TOKEN is valid and has access to it'
    : 'if it is private or gated, set HF_TOKEN';
  const where = r.file ? `${r.file} of ${repo}@${revision}` : `${repo}@${revision}`;
  const detail = r.errorMessage ? ` (Hub says: ${r.errorMessage})` : '';
  if (r.status >= 500 || r.status === 429) {
    return new HubError('server', `the Hub answered ${r.status} for ${r.url}${detail}`, true);
  }
  if (r.errorCode === 'GatedRepo') {
    return new HubError(
      'unauthorized',
      `${repo} is a gated repo: accept its terms on its Hub page and set HF_TOKEN to a token of that account${detail}`,
    );
  }
  if (r.errorCode === 'RepoNotFound' || (r.status === 401 && !r.withToken)) {
    return new HubError(
      'repo_not_found',
      `repo ${repo} was not found on the Hub: check the name; ${tokenHint}${detail}`,
    );
  }
  if (r.errorCode === 'RevisionNotFound') {
    return new HubError(
      'revision_not_found',
      `revision '${revision}' was not found in ${repo}: use a branch, tag or commit sha that exists${detail}`,
    );
  }
  if (r.errorCode === 'EntryNotFound' || (r.status === 404 && r.file)) {
    return new HubError('entry_not_found', `${where} was not found on the Hub${detail}`);
  }
  if (r.status === 401 || r.status === 403) {
    return new HubError(
      'unauthorized',
      `access to ${where} was refused (${r.status}): ${tokenHint}${detail}`,
    );
  }
  if (r.status === 404) {
    return new HubError('repo_not_found', `${where} was not found on the Hub (404)${detail}`);
  }
  return new HubError('server', `the Hub answered ${r.status} for ${r.url}${detail}`);
}

/** Error codes of a connection that never reached an answer: the Hub is unreachable. */
const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/** Codes of a connection that broke or stalled mid-answer: worth another try, with Range. */
const TRANSIENT = new Set([
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_RES_CONTENT_LENGTH_MISMATCH',
  'ERR_STREAM_PREMATURE_CLOSE',
]);

/** The first `code` along an error's `cause` chain (fetch and undici nest the socket error). */
export function errorCode(error: unknown): string | undefined {
  for (let e = error, depth = 0; e && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * Words a network-level failure. Unreachable → name the endpoint and the two ways out
 * (HF_ENDPOINT, HF_HUB_OFFLINE); a connection that broke mid-answer → retryable.
 */
export function networkError(endpoint: string, error: unknown): HubError {
  if (error instanceof HubError) return error;
  const code = errorCode(error) ?? 'unknown';
  const reason = `${code}: ${(error as Error).message}`;
  if (UNREACHABLE.has(code)) {
    return new HubError(
      'network',
      `cannot reach the Hub at ${endpoint} (${reason}); check the network, set HF_ENDPOINT to a ` +
        `reachable mirror, or set HF_HUB_OFFLINE=1 to serve only cached models`,
      code === 'ETIMEDOUT' || code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'EAI_AGAIN',
      { cause: error },
    );
  }
  const what = code.includes('TIMEOUT') ? 'timed out' : 'failed';
  return new HubError(
    'network',
    `the connection to ${endpoint} ${what} (${reason}); check the network, or set HF_ENDPOINT / HF_HUB_OFFLINE=1`,
    TRANSIENT.has(code),
    { cause: error },
  );
}

/** Words a file-system failure while writing under the cache; ENOSPC gets its own advice. */
export function fsError(path: string, cacheDir: string, error: unknown): HubError {
  if (error instanceof HubError) return error;
  const code = errorCode(error);
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return new HubError(
      'disk_full',
      `the disk is full while writing ${path}; free space under ${cacheDir} or point MODEL_CACHE ` +
        `at a larger volume (the partial download is kept and resumes next time)`,
      false,
      { cause: error },
    );
  }
  return new HubError(
    'filesystem',
    `cannot write ${path} (${code ?? 'error'}: ${(error as Error).message}); check MODEL_CACHE (${cacheDir})`,
    false,
    { cause: error },
  );
}
