import type { FastifyBaseLogger } from 'fastify';
import type { Bindings, ChildLoggerOptions } from 'pino';

/** What a log method takes: pino's `(obj, msg?, ...args)` or `(msg, ...args)`. */
type LogArgs = [objOrMsg: unknown, msg?: string, ...args: unknown[]];

/**
 * A request's logger that makes its pino child only when something is first logged on it.
 * Fastify makes a child per request (with the request id binding) before any hook runs, and
 * pino serialises the bindings then; request logging is off (app.ts), so most requests log
 * nothing and the child would be made for nothing. Once made, every call goes to the real
 * child, so a line is the same as the eager child's (bindings, level, serializers).
 */
export class LazyLogger implements FastifyBaseLogger {
  #real: FastifyBaseLogger | undefined;
  readonly #make: () => FastifyBaseLogger;

  constructor(make: () => FastifyBaseLogger) {
    this.#make = make;
  }

  #logger(): FastifyBaseLogger {
    this.#real ??= this.#make();
    return this.#real;
  }

  get level(): string {
    return this.#logger().level;
  }

  set level(level: string) {
    this.#logger().level = level;
  }

  fatal(...args: LogArgs): void {
    this.#logger().fatal(...args);
  }

  error(...args: LogArgs): void {
    this.#logger().error(...args);
  }

  warn(...args: LogArgs): void {
    this.#logger().warn(...args);
  }

  info(...args: LogArgs): void {
    this.#logger().info(...args);
  }

  debug(...args: LogArgs): void {
    this.#logger().debug(...args);
  }

  trace(...args: LogArgs): void {
    this.#logger().trace(...args);
  }

  silent(...args: LogArgs): void {
    this.#logger().silent(...args);
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
