/**
 * `sentiment-api loadtest` through the real process (`node --import tsx src/main.ts`, as the
 * bin runs it) against a real service on the bundled model, briefly: its help, a refused
 * flag, a short closed-loop profile and one open-model step.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  runCli,
  SERVICE_SCRIPT,
  startChildServer,
  type ChildServer,
} from '../devkit/child-service.js';

describe('sentiment-api loadtest', () => {
  let server: ChildServer;
  before(async () => {
    server = await startChildServer(SERVICE_SCRIPT, {
      INFERENCE_WORKERS: '1',
      CACHE_HITS_HEADER: '1',
    });
  });
  after(() => server?.stop());

  test('--help names the profiles and the open model flags', async () => {
    const { code, stdout } = await runCli(['loadtest', '--help']);
    assert.equal(code, 0);
    for (const text of [
      '--url <base>',
      'seed',
      'compressed',
      'open',
      '--full',
      '--rate',
      '--budget-ms',
    ])
      assert.ok(stdout.includes(text), `help lacks ${text}:\n${stdout}`);
  });

  test('a missing --url or a bad profile is one line and exit 2', async () => {
    for (const args of [['loadtest'], ['loadtest', '--url', server.baseUrl, '--profile', 'k6']]) {
      const { code, stderr } = await runCli(args);
      assert.equal(code, 2, stderr);
      assert.equal(stderr.trim().split('\n').length, 1, stderr);
      assert.match(stderr, /^sentiment-api: /);
    }
  });

  test('runs a short seed profile: every request answered, hit ratio reported, exit 0', async () => {
    const { code, stdout, stderr } = await runCli([
      'loadtest',
      '--url',
      server.baseUrl,
      '--stages',
      '1s:3,2s:3,1s:0',
    ]);
    assert.equal(code, 0, `${stdout}\n${stderr}`);
    assert.match(stdout, /errors: 0; ended gracefully: true/);
    const predicts = Number(/^ {2}predict +(\d+)/m.exec(stdout)?.[1]);
    assert.ok(predicts > 20, `only ${predicts} /predict requests:\n${stdout}`);
    assert.match(stdout, /cache hit ratio \(x-cache-hits\): (9\d|100)\.\d\d%/);
    assert.match(stdout, /cache lookups \(\/metrics\): memory/);
  });

  test('--json prints the result with its series', async () => {
    const { code, stdout } = await runCli([
      'loadtest',
      '--url',
      server.baseUrl,
      '--stages',
      '1s:2,1s:0',
      '--json',
    ]);
    assert.equal(code, 0);
    const result = JSON.parse(stdout) as { errorCount: number; series: unknown[]; maxVUs: number };
    assert.equal(result.errorCount, 0);
    assert.equal(result.maxVUs, 2);
    assert.ok(result.series.length >= 2);
  });

  test('the open model holds a rate of unique texts: none from cache, none dropped', async () => {
    const { code, stdout } = await runCli([
      'loadtest',
      '--url',
      server.baseUrl,
      '--profile',
      'open',
      '--rate',
      '20',
      '--step-seconds',
      '2',
    ]);
    assert.equal(code, 0, stdout);
    assert.match(stdout, /20\/s {2}sent 40, ok 40, dropped 0/);
    assert.match(stdout, /cache hits 0\b/);
  });
});
