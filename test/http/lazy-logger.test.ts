import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pino } from 'pino';
import { lazyChildLoggerFactory } from '../../src/http/lazy-logger.js';

/** A pino logger without timestamps, whose lines are kept. */
function capturing(): { logger: pino.Logger; lines: string[] } {
  const lines: string[] = [];
  const logger = pino(
    { level: 'debug', timestamp: false },
    { write: (l: string) => lines.push(l) },
  );
  return { logger, lines };
}

test("a request's lazy logger writes exactly the eager child's lines, grandchildren included", () => {
  const lazy = capturing();
  const eager = capturing();
  // One error for both: its stack names where it was made, not where it was logged.
  const err = new Error('boom');
  const write = (log: pino.Logger | ReturnType<typeof lazyChildLoggerFactory>) => {
    log.trace('below the level');
    log.warn({ err }, 'it failed');
    log.info('plain %s', 'message');
    const child = log.child({ client: 'alice' });
    child.error({ n: 1 }, 'for a client');
    child.level = 'error';
    child.warn('now below its level');
    log.warn('the parent keeps its level');
  };
  write(lazyChildLoggerFactory(lazy.logger, { requestId: 'r-1' }, {}));
  write(eager.logger.child({ requestId: 'r-1' }, {}));
  assert.equal(lazy.lines.length, 4);
  assert.deepEqual(lazy.lines, eager.lines);
});

test("a route's log level applies to the lazy child as to the eager one", () => {
  const { logger, lines } = capturing();
  const log = lazyChildLoggerFactory(logger, { requestId: 'r-2' }, { level: 'error' });
  log.warn('below the route level');
  log.error('at it');
  assert.equal(log.level, 'error');
  assert.deepEqual(
    lines.map((line) => JSON.parse(line).msg),
    ['at it'],
  );
});
