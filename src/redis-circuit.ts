import CircuitBreaker from 'opossum';

/** Failed commands in a row that open the circuit whatever the last 10 s's error share. */
export const CONSECUTIVE_FAILURES_TO_OPEN = 4;

/**
 * Whether a command can be sent to a client of `openRedisClient`: connected and ready. With
 * no offline queue, a command sent otherwise (before the first connection, or while Redis is
 * down) fails at once, which says nothing of a hung Redis: callers skip Redis then, without
 * firing the circuit, or a replica taking traffic before it connects would skip Redis for
 * `resetMs` after connecting. Both the cache tier and the rate limiter check this first.
 */
export function redisReady(client: { readonly status: string }): boolean {
  return client.status === 'ready';
}

/**
 * The circuit breaker (opossum) in front of every use of Redis: the cache tier
 * (cache/redis.ts) and the rate limiter's store (http/rate-limit-store.ts). It sits at the top
 * of src/ and imports neither, so both can build theirs here and keep one rule.
 *
 * It opens when half the commands of the last 10 s fail (at least four), or when four fail in
 * a row; open, it sends nothing for `resetMs`, then lets one call probe Redis, and that call's
 * success closes it. The callers attach their own 'open' and 'close' listeners (log, metric).
 *
 * Why the run of failures: the error percentage counts the last 10 s, so after a busy spell
 * of successes a hung Redis (connected, answering nothing) would need as many timeouts before
 * the circuit opens, every one a request held for the command timeout and a command left
 * queued behind the hung connection. No timeout of its own: ioredis's commandTimeout already
 * bounds each command.
 */
export function redisCircuit<TI extends unknown[], TR>(
  action: (...args: TI) => Promise<TR>,
  resetMs: number,
): CircuitBreaker<TI, TR> {
  const breaker = new CircuitBreaker(action, {
    timeout: false,
    errorThresholdPercentage: 50,
    volumeThreshold: 4,
    rollingCountTimeout: 10_000,
    resetTimeout: resetMs,
  });
  let failuresInARow = 0;
  breaker.on('success', () => (failuresInARow = 0));
  breaker.on('failure', () => {
    // Only a closed circuit: a failed probe (half-open) re-opens it by itself.
    if (++failuresInARow >= CONSECUTIVE_FAILURES_TO_OPEN && breaker.closed) breaker.open();
  });
  return breaker;
}
