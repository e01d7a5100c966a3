import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { assertServesGraph } from '../../bench/lib/serve/same-graph.js';
import { BUNDLED_MODEL_DIR } from '../../src/config.js';
import { build } from '../helper.js';

test('bench:serve refuses to compare a service with raw runs of another graph', async (t) => {
  const service = await build(t);
  await service.app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = service.app.server.address() as { port: number };
  const baseUrl = `http://127.0.0.1:${port}`;
  await assertServesGraph(baseUrl, join(BUNDLED_MODEL_DIR, 'onnx', 'model.onnx'));
  await assert.rejects(
    assertServesGraph(baseUrl, join(BUNDLED_MODEL_DIR, 'onnx', 'model_quantized.onnx')),
    /refusing to compare unlike graphs/,
  );
});
