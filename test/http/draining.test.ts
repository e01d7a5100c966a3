import assert from 'node:assert/strict';
import { test } from 'node:test';
import { build } from '../helper.js';

test('on shutdown readiness turns 503 at once; for DRAIN_DELAY_MS requests are still served, closing their connections', async (t) => {
  const service = await build(t, { CACHE_MEMORY_BYTES: '0', DRAIN_DELAY_MS: '400' });
  const ready = await service.app.inject({ method: 'GET', url: '/ready' });
  assert.deepEqual([ready.statusCode, ready.json()], [200, { status: 'ready' }]);
  const closing = service.close();
  const draining = await service.app.inject({ method: 'GET', url: '/ready' });
  assert.deepEqual([draining.statusCode, draining.json()], [503, { status: 'draining' }]);
  const late = await service.app.inject({
    method: 'POST',
    url: '/predict',
    payload: { text: ['asked while the balancer catches up'] },
  });
  assert.equal(late.statusCode, 200, 'still served');
  assert.equal(late.headers.connection, 'close');
  assert.deepEqual(await closing, { graceExpired: false });
});
