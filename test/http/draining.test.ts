import assert from 'node:assert/strict';
import { test } from 'node:test';
import { build, until } from '../helper.js';

test('while draining, readiness turns 503 at once and a new request is answered 503 shutting_down with Retry-After and Connection: close', async (t) => {
  const service = await build(t, { CACHE_MEMORY_BYTES: '0', BATCH_MAX_ITEMS: '2' });
  const texts = Array.from({ length: 64 }, (_, i) => `a long review ${i} `.repeat(60));
  const inFlight = service.app.inject({
    method: 'POST',
    url: '/predict',
    payload: { text: texts },
  });
  await until(() => service.engine.batcher.depth > 0, 'the first request queued');
  const ready = await service.app.inject({ method: 'GET', url: '/ready' });
  assert.deepEqual([ready.statusCode, ready.json()], [200, { status: 'ready' }]);
  const closing = service.close();
  await until(
    async () => (await service.app.inject({ method: 'GET', url: '/ready' })).statusCode === 503,
    'readiness to turn 503',
  );
  const draining = await service.app.inject({ method: 'GET', url: '/ready' });
  assert.deepEqual(draining.json(), { status: 'draining' });
  const late = await service.app.inject({
    method: 'POST',
    url: '/predict',
    payload: { text: ['asked while draining'] },
  });
  assert.equal(late.statusCode, 503);
  assert.equal(late.headers['retry-after'], '1');
  assert.equal(late.headers.connection, 'close');
  assert.equal(late.json<{ detail: { type: string }[] }>().detail[0]?.type, 'shutting_down');
  assert.equal((await inFlight).statusCode, 200, 'what was accepted is answered');
  assert.deepEqual(await closing, { graceExpired: false });
});
