import assert from 'node:assert/strict';
import { test } from 'node:test';
import { build, until } from '../helper.js';

test('while draining, a new request is answered 503 shutting_down with Retry-After and Connection: close', async (t) => {
  const service = await build(t, { CACHE_MEMORY_BYTES: '0', BATCH_MAX_ITEMS: '2' });
  const texts = Array.from({ length: 64 }, (_, i) => `a long review ${i} `.repeat(60));
  const inFlight = service.app.inject({
    method: 'POST',
    url: '/predict',
    payload: { text: texts },
  });
  await until(() => service.engine.batcher.depth > 0, 'the first request queued');
  const closing = service.close();
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
