import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestApp, type TestApp } from '../helper.js';

describe('API documentation', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp();
  });
  after(() => t.close());

  test('/openapi.json documents /predict with request and response schemas and an example', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/openapi.json' });
    assert.equal(res.statusCode, 200);
    const doc = res.json<Record<string, any>>(); // eslint-disable-line @typescript-eslint/no-explicit-any
    assert.match(doc.openapi, /^3\./);
    const predict = doc.paths['/predict'].post;
    const { schema: request, example } = predict.requestBody.content['application/json'];
    assert.equal(request.additionalProperties, false);
    assert.deepEqual(request.required, ['text']);
    assert.deepEqual(example, { text: ['I hate you.', 'I love you.'] });
    const ok = predict.responses['200'].content['application/json'].schema;
    assert.ok(ok.properties.predictions, 'response schema has predictions');
    assert.ok(predict.responses['422'], '422 documented');
    assert.ok(doc.paths['/health'].get, '/health documented');
  });

  test('/docs serves Swagger UI from the package (no CDN)', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/docs' });
    assert.equal(res.statusCode, 200);
    assert.match(res.headers['content-type'] as string, /text\/html/);
    assert.match(res.body, /swagger-ui/i);
    assert.doesNotMatch(res.body, /https?:\/\/(cdn|unpkg|cdnjs)/);
    const scripts = [...res.body.matchAll(/src="([^"]+\.js)"/g)].map((m) => m[1] as string);
    assert.ok(scripts.length > 0);
    for (const src of scripts) {
      const url = new URL(src, 'http://x/docs/').pathname;
      const asset = await t.app.inject({ method: 'GET', url });
      assert.equal(asset.statusCode, 200, url);
    }
  });
});
