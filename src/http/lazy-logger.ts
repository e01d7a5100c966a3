import type { FastifyBaseLogger } from 'fastify';
import type { Bindings, ChildLoggerOptions, LogFn } from 'pino';

/** What a log method takes: pino's `(obj, msg?, ...args)` or `(msg, ...args)`. */
type LogArgs = [objOrMsg: unknown, msg?: string, ...args: unknown[]];

/** The log methods of a FastifyBaseLogger. */
const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/**
 * A request's logger that makes its pino child only when something is first logged on it.
 * Fastify makes a child per request (with the request id binding) before any hook runs, and
 * pino serialises the bindings then; request logging is off (app.ts), so most requests log
 * nothing and the child would be made for nothing. Once made, every call goes to the real
 * child, so a line is the same as the eager child's (bindings, level, serializers).
 */
export class LazyLogger implements FastifyBaseLogger {
  declare fatal: LogFn;
  declare error: LogFn;
  declare warn: LogFn;
  declare info: LogFn;
  declare debug: LogFn;
  declare trace: LogFn;
  declare silent: LogFn;
  #real: FastifyBaseLogger | undefined;
  readonly #make: () => FastifyBaseLogger;

  constructor(make: () => FastifyBaseLogger) {
    this.#make = make;
  }

  #logger(): FastifyBaseLogger {
    this.#real ??= this.#make();
    return this.#real;
  }

  // Each log method hands its arguments to the real child, made on the first call.
  static {
    for (const level of LEVELS) {
      LazyLogger.prototype[level] = function (this: LazyLogger, ...args: LogArgs): void {
        this.#logger()[level](...args);
      };
    }
  }

  get level(): string {
    return this.#logger().level;
  }

  set level(level: string) {
    this.#logger().level = level;
  }

  /** A child of this one, itself made only when first used (auth.ts adds the client's name). */
  child(bindings: Bindings, options?: ChildLoggerOptions): FastifyBaseLogger {
    return new LazyLogger(() => this.#logger().child(bindings, options));
  }
}

/**
 * Fastify's `childLoggerFactory`: the request's child (bindings `{ requestId }`, and the
 * route's log level when it has one) as a LazyLogger.
 */
export function lazyChildLoggerFactory(
  logger: FastifyBaseLogger,
  bindings: Bindings,
  options: ChildLoggerOptions,
): FastifyBaseLogger {
  return new LazyLogger(() => logger.child(bindings, options));
}
