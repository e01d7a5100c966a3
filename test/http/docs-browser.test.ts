import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, test } from 'node:test';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify from 'fastify';
import { build } from '../helper.js';
import {
  BrowserPage,
  CHROMIUM,
  HOST_NAME,
  chromiumFlags,
  skipWithoutChromium,
} from './chromium.js';

/**
 * Loads `url` in headless Chromium and returns the rendered DOM and the console lines it
 * logged (CSP violations are reported there: "… violates the following Content Security
 * Policy directive …").
 */
async function render(url: string): Promise<{ dom: string; console: string[] }> {
  // The flags keep Chromium off the network this machine does not have (see the env notes).
  const { stdout, stderr } = await promisify(execFile)(
    CHROMIUM,
    [
      ...chromiumFlags(mkdtempSync(join(tmpdir(), 'chromium-'))),
      '--enable-logging=stderr',
      '--v=0',
      '--virtual-time-budget=10000',
      '--dump-dom',
      url,
    ],
    { timeout: 60_000, maxBuffer: 32 * 1024 * 1024 },
  );
  return { dom: stdout, console: stderr.split('\n').filter((line) => line.includes(':CONSOLE')) };
}

const OPERATIONS = /class="opblock-summary-path" data-path="\/predict"/;

describe('Swagger UI in a real headless Chromium', { skip: skipWithoutChromium() }, () => {
  test('renders both operations under the service CSP, on loopback and under a host name, with no violation', async (t) => {
    const service = await build(t);
    await service.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = service.app.server.address() as { port: number };
    const page = await service.app.inject({ method: 'GET', url: '/docs/' });
    assert.match(String(page.headers['content-security-policy']), /script-src 'self'/);
    // Plain HTTP under a name is where a CSP with upgrade-insecure-requests breaks the UI.
    for (const host of ['127.0.0.1', HOST_NAME]) {
      const { dom, console } = await render(`http://${host}:${port}/docs`);
      // These elements exist only once swagger-ui's JavaScript has fetched and rendered the spec.
      assert.match(dom, OPERATIONS, host);
      assert.match(dom, /class="opblock-summary-path" data-path="\/health"/, host);
      assert.match(dom, /sentiment-api/, host);
      const violations = console.filter((line) => /Content Security Policy/i.test(line));
      assert.deepEqual(violations, [], `CSP violations at ${host}`);
    }
  });

  test('"Try it out" on POST /predict sends the example and shows the prediction', async (t) => {
    const service = await build(t);
    await service.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = service.app.server.address() as { port: number };
    const page = await BrowserPage.open(1200, 900);
    t.after(() => page.close());
    await page.goto(`http://${HOST_NAME}:${port}/docs`);
    const op = '#operations-model-post_predict';
    await page.waitFor(`document.querySelector('${op} .opblock-summary')`, 'the operation');
    await page.evaluate(`document.querySelector('${op} .opblock-summary-control').click()`);
    await page.waitFor(`document.querySelector('${op} .try-out__btn')`, 'Try it out');
    await page.evaluate(`document.querySelector('${op} .try-out__btn').click()`);
    await page.waitFor(`document.querySelector('${op} .execute')`, 'Execute');
    await page.evaluate(`document.querySelector('${op} .execute').click()`);
    await page.waitFor(
      `document.querySelector('${op} .live-responses-table tbody .response-col_status')`,
      'the live response',
    );
    const status = await page.evaluate<string>(
      `document.querySelector('${op} .live-responses-table tbody .response-col_status').textContent`,
    );
    assert.match(status.trim(), /^200/);
    const body = await page.evaluate<string>(
      `document.querySelector('${op} .live-responses-table tbody .response-col_description pre').textContent`,
    );
    // The schema's example, ["I hate you.", "I love you."], answered by the model.
    const { predictions } = JSON.parse(body) as { predictions: { label: string }[][] };
    assert.equal(predictions.length, 2);
    assert.deepEqual(
      predictions[0]?.map((p) => p.label),
      ['NEGATIVE', 'POSITIVE'],
    );
    const violations = page.logs.filter((line) => /Content Security Policy/i.test(line));
    assert.deepEqual(violations, [], 'no CSP violation while trying it out');
  });

  test('control: the check fails for a CSP that blocks the UI (upgrade-insecure-requests over plain HTTP)', async (t) => {
    // swagger-ui's own static CSP, which this service used before: same UI, same assets.
    const app = Fastify();
    t.after(() => app.close());
    await app.register(swagger, { openapi: { info: { title: 'control', version: '0' } } });
    await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true });
    app.post('/predict', async () => ({}));
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.server.address() as { port: number };
    const { dom } = await render(`http://${HOST_NAME}:${port}/docs`);
    assert.match(dom, /id="swagger-ui"/, 'the page itself arrived');
    assert.doesNotMatch(dom, OPERATIONS, 'the UI must not render: its assets were sent to https');
    // The same page on loopback (never upgraded) renders: the policy alone made the difference.
    assert.match((await render(`http://127.0.0.1:${port}/docs`)).dom, OPERATIONS);
  });
});
