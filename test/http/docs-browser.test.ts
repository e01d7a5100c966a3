import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { test } from 'node:test';
import { startTestApp } from '../helper.js';

const CHROMIUM = process.env.CHROMIUM ?? 'chromium';
const hasChromium = spawnSync(CHROMIUM, ['--version']).status === 0;
function skipWithoutChromium(): string | false {
  if (hasChromium) return false;
  if (process.env.REQUIRE_ALL === '1')
    throw new Error(`REQUIRE_ALL=1 but ${CHROMIUM} is not installed`);
  return `needs ${CHROMIUM} (apt-get install chromium)`;
}

test(
  'Swagger UI renders both operations in a real headless Chromium',
  { skip: skipWithoutChromium() },
  async () => {
    const t = await startTestApp();
    try {
      await t.app.listen({ port: 0, host: '127.0.0.1' });
      const { port } = t.app.server.address() as { port: number };
      // The flags keep Chromium off the network this machine does not have (see the env notes).
      const { stdout } = await promisify(execFile)(
        CHROMIUM,
        [
          '--headless',
          '--no-sandbox',
          '--disable-gpu',
          '--disable-quic',
          '--no-first-run',
          '--disable-background-networking',
          '--disable-component-update',
          '--disable-sync',
          `--user-data-dir=${mkdtempSync(join(tmpdir(), 'chromium-'))}`,
          '--virtual-time-budget=10000',
          '--dump-dom',
          `http://127.0.0.1:${port}/docs`,
        ],
        { timeout: 60_000, maxBuffer: 32 * 1024 * 1024 },
      );
      // These elements exist only once swagger-ui's JavaScript has fetched and rendered the spec.
      assert.match(stdout, /class="opblock-summary-path" data-path="\/predict"/);
      assert.match(stdout, /class="opblock-summary-path" data-path="\/health"/);
      assert.match(stdout, /sentiment-api/);
    } finally {
      await t.close();
    }
  },
);
