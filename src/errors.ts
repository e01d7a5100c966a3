/**
 * The error catalogue: every failure the service reports on purpose, each with a stable code
 * and the HTTP status it maps to. Imports nothing from src/ so every layer can throw these;
 * only `http/error-handler.ts` turns them into responses.
 */
export class AppError extends Error {
  constructor(
    /** Stable, machine-readable code; appears as `type` in the response `detail`. */
    readonly code: string,
    /** HTTP status the error handler answers with. */
    readonly status: number,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The model folder is missing a file or holds something we cannot serve. Fatal at start-up. */
export class ModelLoadError extends AppError {
  constructor(message: string, options?: ErrorOptions) {
    super('model_load_error', 500, message, options);
  }
}

/** A forward pass failed; every request in the batch gets this. */
export class ModelFailed extends AppError {
  constructor(message: string, options?: ErrorOptions) {
    super('model_failed', 500, message, options);
  }
}

/** The queue of texts waiting for the model is full; the client should retry shortly. */
export class Overloaded extends AppError {
  constructor(readonly retryAfterSeconds: number) {
    super('overloaded', 429, 'The server is at capacity; retry after the Retry-After delay.');
  }
}

/** The process is draining for shutdown and takes no new work. */
export class ShuttingDown extends AppError {
  constructor(readonly retryAfterSeconds = 1) {
    super('shutting_down', 503, 'The server is shutting down; retry on another replica.');
  }
}

/** The request outlived REQUEST_TIMEOUT_MS; its queued work was dropped. */
export class RequestTimedOut extends AppError {
  constructor(timeoutMs: number) {
    super('timeout', 504, `The request did not complete within ${timeoutMs} ms.`);
  }
}

/** The client went away before its result was computed; nobody reads this error. */
export class RequestAborted extends AppError {
  constructor() {
    super('aborted', 499, 'The client closed the request.');
  }
}

/** A problem with the Hub download or conversion of a model, worded for the user. */
export class ModelSupplyError extends AppError {
  constructor(message: string, options?: ErrorOptions) {
    super('model_supply_error', 500, message, options);
  }
}
