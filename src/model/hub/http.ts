import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import type { Dispatcher } from 'undici';
import { errorForStatus, HubError, networkError } from './errors.js';

/** How the pull talks to the Hub; one object per pull. */
export interface HubClient {
  /** Base URL without trailing slash, e.g. https://huggingface.co (HF_ENDPOINT). */
  readonly endpoint: string;
  readonly token: string | undefined;
  /** Longest wait for response headers, and for the next body chunk, in ms. */
  readonly timeoutMs: number;
  readonly retry: RetryPolicy;
  readonly log: (line: string) => void;
}

/** Transient failures (5xx, 429, dropped or stalled connections) are retried this way. */
export interface RetryPolicy {
  /** Total tries, first included. */
  readonly attempts: number;
  /** Wait before the second try; doubles each time. */
  readonly baseDelayMs: number;
}

/** What a pull was asked for, so that errors name it. */
export interface RequestContext {
  readonly repo: string;
  readonly revision: string;
  readonly file?: string;
}

/** A 2xx answer (or one of the statuses asked for), possibly after redirects. */
export interface HubResponse {
  readonly status: number;
  /**
   * Headers of the first hop (the Hub's own answer): on the real Hub an LFS file answers 302
   * with X-Linked-Etag / X-Linked-Size / X-Repo-Commit, and the CDN's answer lacks them.
   */
  readonly hubHeaders: Headers;
  /** Headers of the final answer (Content-Length, Content-Range of the bytes sent). */
  readonly headers: Headers;
  readonly body: Dispatcher.ResponseData['body'];
}

const MAX_REDIRECTS = 5;

function toHeaders(raw: Dispatcher.ResponseData['headers']): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(raw)) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) headers.append(name, v);
  }
  return headers;
}

/**
 * GET (or HEAD) `url`, following redirects by hand so that the bearer token goes only where
 * huggingface_hub sends it: to the Hub and to same-origin redirects (a renamed repo), never to
 * a CDN on another origin, whose signed URL needs no token (file_download.py drops the
 * `authorization` header when the netloc changes). Non-2xx answers become HubErrors.
 */
export async function hubGet(
  client: HubClient,
  url: string,
  ctx: RequestContext,
  extraHeaders: Record<string, string> = {},
  /** Non-2xx statuses returned to the caller instead of thrown (416 for a stale Range). */
  passStatuses: readonly number[] = [],
): Promise<HubResponse> {
  const origin = new URL(url).origin;
  let current = url;
  let hubHeaders: Headers | undefined;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    const sameOrigin = new URL(current).origin === origin;
    const headers: Record<string, string> = {
      'user-agent': 'sentiment-api (node)',
      // Compressed bodies would break Range offsets and the sha256 of the bytes on disk.
      'accept-encoding': 'identity',
      ...extraHeaders,
    };
    if (client.token && sameOrigin) headers.authorization = `Bearer ${client.token}`;
    let res: Dispatcher.ResponseData;
    try {
      res = await request(current, {
        method: 'GET',
        headers,
        headersTimeout: client.timeoutMs,
        bodyTimeout: client.timeoutMs,
      });
    } catch (error) {
      throw networkError(client.endpoint, error);
    }
    const resHeaders = toHeaders(res.headers);
    hubHeaders ??= resHeaders;
    if (res.statusCode >= 300 && res.statusCode < 400 && resHeaders.has('location')) {
      await res.body.dump();
      current = new URL(resHeaders.get('location') as string, current).toString();
      continue;
    }
    if ((res.statusCode >= 200 && res.statusCode < 300) || passStatuses.includes(res.statusCode)) {
      return { status: res.statusCode, hubHeaders, headers: resHeaders, body: res.body };
    }
    await res.body.dump().catch(() => undefined);
    throw errorForStatus(ctx.repo, ctx.revision, {
      status: res.statusCode,
      url: current,
      errorCode: resHeaders.get('x-error-code') ?? undefined,
      errorMessage: resHeaders.get('x-error-message') ?? undefined,
      withToken: Boolean(client.token && sameOrigin),
      file: ctx.file,
    });
  }
  throw new HubError('server', `more than ${MAX_REDIRECTS} redirects from ${url}`);
}

/**
 * Runs `attempt` until it succeeds, fails for good, or the tries run out. Only HubErrors
 * marked retryable are retried; the wait doubles from `baseDelayMs` with a little jitter so
 * that many replicas starting at once do not retry in step.
 */
export async function withRetry<T>(
  client: HubClient,
  what: string,
  attempt: (tryNumber: number) => Promise<T>,
): Promise<T> {
  for (let tryNumber = 1; ; tryNumber++) {
    try {
      return await attempt(tryNumber);
    } catch (error) {
      const retryable = error instanceof HubError && error.retryable;
      if (!retryable || tryNumber >= client.retry.attempts) throw error;
      const delayMs = client.retry.baseDelayMs * 2 ** (tryNumber - 1) * (1 + Math.random() * 0.2);
      client.log(
        `${what}: ${(error as Error).message}; retry ${tryNumber}/${client.retry.attempts - 1} in ${Math.round(delayMs)} ms`,
      );
      await sleep(delayMs);
    }
  }
}
