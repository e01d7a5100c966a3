/**
 * The error catalogue: every failure the service reports on purpose, as one table of stable
 * code → HTTP status → message (as fastify's `lib/errors.js` is one `createError` table).
 * The code is what a client reads as `type` in the response's `detail`; the README's error
 * tables list every code here, and a test keeps the two equal. Imports nothing from src/, so
 * every layer can throw these; only `http/error-handler.ts` turns them into responses, with
 * the status the error carries.
 */
export const ERROR_CATALOGUE = {
  // Request bodies: pydantic v2's type codes and messages, so FastAPI clients read them as theirs.
  missing: { status: 422, message: 'Field required' },
  extra_forbidden: { status: 422, message: 'Extra inputs are not permitted' },
  list_type: { status: 422, message: 'Input should be a valid list' },
  string_type: { status: 422, message: 'Input should be a valid string' },
  model_attributes_type: {
    status: 422,
    message: 'Input should be a valid dictionary or object to extract fields from',
  },
  value_error: { status: 422, message: 'Input is not valid' },
  literal_error: { status: 422, message: 'Input should be one of the allowed values' },
  int_type: { status: 422, message: 'Input should be a valid integer' },
  greater_than_equal: {
    status: 422,
    message: 'Input should be greater than or equal to the minimum',
  },
  less_than_equal: { status: 422, message: 'Input should be less than or equal to the maximum' },
  errors_truncated: { status: 422, message: 'More errors of one type than are listed' },
  json_invalid: { status: 422, message: 'JSON decode error' },
  too_long: { status: 413, message: 'List should have fewer items' },
  string_too_long: { status: 413, message: 'String should have fewer characters' },
  body_too_large: { status: 413, message: 'Request body is too large' },
  unsupported_media_type: { status: 415, message: 'Unsupported media type; send application/json' },
  bad_request: { status: 400, message: 'Bad request' },
  request_timeout: { status: 408, message: 'The request was not received in time' },
  headers_too_large: { status: 431, message: 'The request headers are too large' },
  expectation_failed: { status: 417, message: 'Only Expect: 100-continue is understood' },
  // Access control (http/auth.ts, http/cross-origin.ts, http/rate-limit.ts).
  unauthorized: { status: 401, message: 'A valid API key is required.' },
  origin_forbidden: {
    status: 403,
    message: "Requests from another site's pages are not allowed; see CORS_ORIGINS.",
  },
  rate_limited: {
    status: 429,
    message: 'Too many requests from this client; retry after the Retry-After delay.',
  },
  // The Open Inference Protocol routes (/v2/...): the protocol's statuses.
  inference_request_invalid: {
    status: 400,
    message: 'The inference request does not follow the Open Inference Protocol.',
  },
  model_not_found: { status: 404, message: 'No such model or model version is served here.' },
  // The monitor's routes (/monitoring, /feedback) on a replica started with MONITOR=0.
  monitor_off: { status: 404, message: 'The monitor is off on this replica (MONITOR=0).' },
  // Routing: Starlette's string details.
  not_found: { status: 404, message: 'Not Found' },
  method_not_allowed: { status: 405, message: 'Method Not Allowed' },
  // The engine.
  overloaded: {
    status: 429,
    message: 'The server is at capacity; retry after the Retry-After delay.',
  },
  shutting_down: {
    status: 503,
    message: 'The server is shutting down; retry on another replica.',
  },
  timeout: { status: 504, message: 'The request did not complete in time.' },
  /** The client went away before its answer; nobody reads this one, it is counted and dropped. */
  aborted: { status: 499, message: 'The client closed the request.' },
  model_failed: { status: 500, message: 'The model failed on this batch.' },
  internal_error: { status: 500, message: 'Internal Server Error' },
  // Start-up and the CLI (never answered over HTTP: main.ts prints the message and exits).
  config_invalid: { status: 500, message: 'A setting cannot be used.' },
  model_load_error: { status: 500, message: 'The model folder cannot be served.' },
  model_supply_error: { status: 500, message: 'The model could not be pulled or converted.' },
  // A Hub pull, by cause (model/hub/errors.ts; as huggingface_hub's `hf_raise_for_status`).
  hub_bad_spec: { status: 500, message: 'MODEL_ID is not org/name[@revision].' },
  hub_repo_not_found: { status: 500, message: 'The repo does not exist or is private.' },
  hub_revision_not_found: { status: 500, message: 'The revision does not exist in the repo.' },
  hub_entry_not_found: { status: 500, message: 'A file the model needs is not in the repo.' },
  hub_unauthorized: { status: 500, message: 'The Hub refused access (token, gated repo).' },
  hub_server: { status: 500, message: 'The Hub failed (5xx or 429); retried, then gave up.' },
  hub_network: { status: 500, message: 'The Hub could not be reached or the connection broke.' },
  hub_offline_not_cached: { status: 500, message: 'Offline, and the cache lacks the model.' },
  hub_checksum: { status: 500, message: 'A download did not match its size or sha256.' },
  hub_disk_full: { status: 500, message: 'The disk filled up while writing the cache.' },
  hub_filesystem: { status: 500, message: 'The cache folder cannot be written.' },
  hub_no_weights: { status: 500, message: 'The repo has neither safetensors nor ONNX weights.' },
  hub_unusable_repo: { status: 500, message: 'The repo is not a model the service can serve.' },
  hub_busy: { status: 500, message: 'Another process holds the pull lock for too long.' },
} as const satisfies Record<string, { readonly status: number; readonly message: string }>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

/** The catalogue's HTTP status for a code. */
export function statusOf(code: ErrorCode): number {
  return ERROR_CATALOGUE[code].status;
}

/**
 * A failure the service reports on purpose. Its code, and so its status, come from the
 * catalogue; the message defaults to the catalogue's and may say more about this case.
 */
export class AppError extends Error {
  /** HTTP status the error handler answers with (the catalogue's, for this code). */
  readonly status: number;
  /** Response headers the answer must carry (Retry-After, Allow). */
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    /** Stable, machine-readable code; appears as `type` in the response `detail`. */
    readonly code: ErrorCode,
    message: string = ERROR_CATALOGUE[code].message,
    options?: ErrorOptions & { headers?: Record<string, string> },
  ) {
    super(message, options);
    this.name = new.target.name;
    this.status = ERROR_CATALOGUE[code].status;
    this.headers = options?.headers ?? {};
  }
}

/** The model folder is missing a file or holds something we cannot serve. Fatal at start-up. */
export class ModelLoadError extends AppError {
  constructor(message: string, options?: ErrorOptions) {
    super('model_load_error', message, options);
  }
}

/** A forward pass failed; every request in the batch gets this. */
export class ModelFailedError extends AppError {
  constructor(message: string, options?: ErrorOptions) {
    super('model_failed', message, options);
  }
}

/** The queue of texts waiting for the model is full; the client should retry shortly. */
export class OverloadedError extends AppError {
  constructor(readonly retryAfterSeconds: number) {
    super('overloaded', undefined, { headers: { 'retry-after': String(retryAfterSeconds) } });
  }
}

/** The process is draining for shutdown and takes no new work. */
export class ShuttingDownError extends AppError {
  constructor(readonly retryAfterSeconds = 1) {
    super('shutting_down', undefined, { headers: { 'retry-after': String(retryAfterSeconds) } });
  }
}

/** The request outlived REQUEST_TIMEOUT_MS; its queued work was dropped. */
export class RequestTimeoutError extends AppError {
  constructor(timeoutMs: number) {
    super('timeout', `The request did not complete within ${timeoutMs} ms.`);
  }
}

/** The client went away before its result was computed; nobody reads this error. */
export class RequestAbortedError extends AppError {
  constructor() {
    super('aborted');
  }
}

/** A problem with the Hub download or conversion of a model, worded for the user. */
export class ModelSupplyError extends AppError {
  constructor(message: string, options?: ErrorOptions, code: ErrorCode = 'model_supply_error') {
    super(code, message, options);
  }
}

/** A setting that cannot be used; `main.ts` prints its message and exits 2. */
export class ConfigError extends AppError {
  constructor(message: string) {
    super('config_invalid', message);
  }
}

/** The body is not valid JSON: FastAPI answers 422 `json_invalid` with the failing position. */
export class JsonInvalidError extends AppError {
  readonly position: number;
  constructor(
    readonly reason: string,
    bodyLength: number,
  ) {
    super('json_invalid');
    const match = /position (\d+)/.exec(reason);
    this.position = match ? Number(match[1]) : bodyLength;
  }
}

/** A body in a media type other than JSON. */
export class UnsupportedMediaTypeError extends AppError {
  constructor(readonly contentType: string) {
    super(
      'unsupported_media_type',
      `Unsupported media type '${contentType}'; send application/json`,
    );
  }
}

/**
 * No API key, or one that is not configured (RFC 6750's `WWW-Authenticate` challenge; a key
 * that was sent but is wrong adds `error="invalid_token"`).
 */
export class UnauthorizedError extends AppError {
  constructor(presented: boolean) {
    const challenge = `Bearer realm="sentiment-api"${presented ? ', error="invalid_token"' : ''}`;
    super('unauthorized', undefined, { headers: { 'www-authenticate': challenge } });
  }
}

/** A browser sent this request from another site's page, and CORS_ORIGINS does not list it. */
export class OriginForbiddenError extends AppError {
  constructor() {
    super('origin_forbidden');
  }
}

/** The client spent its RATE_LIMIT_PER_MINUTE; the limiter has set Retry-After and x-ratelimit-*. */
export class RateLimitedError extends AppError {
  constructor(perMinute: number, retryAfterSeconds: number) {
    super(
      'rate_limited',
      `Rate limit of ${perMinute} requests per minute exceeded; retry in ${retryAfterSeconds} s.`,
    );
  }
}

/** An Open Inference Protocol request the protocol does not allow (400, its own message). */
export class InferenceRequestInvalidError extends AppError {
  constructor(message: string) {
    super('inference_request_invalid', message);
  }
}

/** A model name or version in an Open Inference Protocol path that this server does not serve. */
export class ModelNotFoundError extends AppError {
  constructor(message: string) {
    super('model_not_found', message);
  }
}

/** /monitoring or /feedback asked of a replica whose monitor is off (MONITOR=0). */
export class MonitorOffError extends AppError {
  constructor() {
    super('monitor_off');
  }
}

/** A path that exists, asked with a method it does not serve. */
export class MethodNotAllowedError extends AppError {
  constructor(readonly allow: readonly string[]) {
    super('method_not_allowed', undefined, { headers: { allow: allow.join(', ') } });
  }
}
