import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { ModelSupplyError } from '../../src/errors.js';
import { loadConfig } from '../../src/config.js';
import {
  HubError,
  parseModelSpec,
  pullModel,
  pullOptionsFromConfig,
} from '../../src/model/hub/index.js';
import { fsError } from '../../src/model/hub/errors.js';
import { MockHub } from '../fixtures/mock-hub.js';
import { safetensorsRepo, suiteHubAndCache, testOptions } from '../fixtures/hub-repos.js';

/** Asserts that `promise` rejects with a HubError of `kind` whose message matches every pattern. */
async function rejectsWith(promise: Promise<unknown>, kind: string, ...patterns: RegExp[]) {
  await assert.rejects(promise, (error: Error) => {
    assert.ok(error instanceof ModelSupplyError, `${error.name}: ${error.message}`);
    assert.equal((error as HubError).kind, kind, error.message);
    for (const pattern of patterns) assert.match(error.message, pattern);
    return true;
  });
}

/** The failures a user meets, each worded so that they know what to do. */
describe('pullModel errors', { timeout: 60_000 }, () => {
  const suite = suiteHubAndCache();

  test('gated repo: 401 without a token, 403 with a wrong one, success with the right one', async () => {
    const commit = suite.hub.addCommit('acme/gated', safetensorsRepo(5000), { token: 'hf_right' });
    const opts = testOptions(suite.cacheDir, suite.hub.url);
    await rejectsWith(pullModel('acme/gated', opts), 'unauthorized', /gated/, /set HF_TOKEN/);
    await rejectsWith(
      pullModel('acme/gated', { ...opts, token: 'hf_wrong' }),
      'unauthorized',
      /acme\/gated/,
      /HF_TOKEN/,
    );
    suite.hub.requests.length = 0;
    const pulled = await pullModel('acme/gated', { ...opts, token: 'hf_right' });
    assert.equal(pulled.commit, commit);
    const hubCalls = suite.hub.requests.filter((r) => r.server === 'hub');
    const cdnCalls = suite.hub.requests.filter((r) => r.server === 'cdn');
    assert.ok(hubCalls.every((r) => r.authorization === 'Bearer hf_right'));
    assert.equal(cdnCalls.length, 1);
    assert.equal(cdnCalls[0]!.authorization, undefined, 'no token to a CDN on another origin');
  });

  test('unknown repo: the 401 of an anonymous call and the 404 of an authenticated one', async () => {
    const opts = testOptions(suite.cacheDir, suite.hub.url);
    await rejectsWith(
      pullModel('acme/nope', opts),
      'repo_not_found',
      /repo acme\/nope was not found/,
      /private or gated, set HF_TOKEN/,
    );
    await rejectsWith(
      pullModel('acme/nope', { ...opts, token: 'hf_any' }),
      'repo_not_found',
      /acme\/nope/,
    );
    assert.equal(existsSync(join(suite.cacheDir, 'models--acme--nope')), false);
  });

  test('unknown revision names the revision', async () => {
    suite.hub.addCommit('acme/revs', safetensorsRepo(1000));
    await rejectsWith(
      pullModel('acme/revs@v9', testOptions(suite.cacheDir, suite.hub.url)),
      'revision_not_found',
      /revision 'v9' was not found in acme\/revs/,
    );
  });

  test('a repo without weights says what it expected, and downloads nothing', async () => {
    const files = safetensorsRepo();
    delete files['model.safetensors'];
    const commit = suite.hub.addCommit('acme/empty', files);
    suite.hub.requests.length = 0;
    await rejectsWith(
      pullModel('acme/empty', testOptions(suite.cacheDir, suite.hub.url)),
      'no_weights',
      new RegExp(
        `^repo acme/empty at ${commit} has no usable weights: expected model\\.safetensors or onnx/model\\.onnx$`,
      ),
    );
    assert.deepEqual(
      suite.hub.requests.map((r) => r.path),
      ['/api/models/acme/empty/revision/main?blobs=true'],
    );
    assert.equal(existsSync(join(suite.cacheDir, 'models--acme--empty')), false);
  });

  test('connection refused names the endpoint and the ways out, without slow retries', async () => {
    const closed = await MockHub.start();
    const endpoint = closed.url;
    await closed.close();
    const started = Date.now();
    await rejectsWith(
      pullModel(
        'acme/any',
        testOptions(suite.cacheDir, endpoint, { retry: { baseDelayMs: 1000 } }),
      ),
      'network',
      new RegExp(`cannot reach the Hub at ${endpoint.replace(/\./g, '\\.')}`),
      /ECONNREFUSED/,
      /HF_ENDPOINT/,
      /HF_HUB_OFFLINE=1/,
    );
    assert.ok(Date.now() - started < 1000, 'a refused connection is not retried');
  });

  test('a Hub that never answers times out, is retried, then fails', async () => {
    let calls = 0;
    const silent = createServer(() => void calls++);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const endpoint = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
    try {
      await rejectsWith(
        pullModel('acme/any', testOptions(suite.cacheDir, endpoint, { timeoutMs: 150 })),
        'network',
        /timed out \(UND_ERR_HEADERS_TIMEOUT/,
        /HF_ENDPOINT/,
      );
      assert.equal(calls, 3);
    } finally {
      silent.closeAllConnections();
      silent.close();
    }
  });
});

describe('parseModelSpec', { timeout: 60_000 }, () => {
  test('org/name defaults to main; @ takes a branch, tag, PR ref or commit', () => {
    assert.deepEqual(parseModelSpec('acme/sst2'), { repo: 'acme/sst2', revision: 'main' });
    assert.deepEqual(parseModelSpec('acme/sst2@v1.0'), { repo: 'acme/sst2', revision: 'v1.0' });
    assert.deepEqual(parseModelSpec('acme/sst2@refs/pr/1'), {
      repo: 'acme/sst2',
      revision: 'refs/pr/1',
    });
  });

  test('refuses what is not a repo id or could climb out of the cache', () => {
    for (const spec of [
      'sst2',
      'a/b/c',
      '../x',
      'acme/..',
      'acme/a--b',
      'acme/x@',
      'acme/x@../../etc',
      'acme/x@/abs',
    ]) {
      assert.throws(
        () => parseModelSpec(spec),
        (e: HubError) => e.kind === 'bad_spec',
        spec,
      );
    }
  });
});

describe('pullOptionsFromConfig', { timeout: 60_000 }, () => {
  test('maps the four Config fields', () => {
    const config = loadConfig({
      MODEL_CACHE: '/srv/models',
      HF_ENDPOINT: 'https://mirror.example/',
      HF_TOKEN: 'hf_x',
      HF_HUB_OFFLINE: '1',
    });
    assert.deepEqual(pullOptionsFromConfig(config, { progress: 'none' }), {
      cacheDir: '/srv/models',
      endpoint: 'https://mirror.example',
      token: 'hf_x',
      offline: true,
      progress: 'none',
    });
  });
});

describe('fsError', { timeout: 60_000 }, () => {
  test('a full disk says so and points at MODEL_CACHE', () => {
    const enospc = Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
    const part = '/cache/models--acme--x/blobs/0123abcd.incomplete';
    const error = fsError(part, '/cache', enospc);
    assert.equal(error.kind, 'disk_full');
    assert.match(error.message, /disk is full while writing \/cache\/models--acme--x\/blobs/);
    assert.match(error.message, /MODEL_CACHE/);
  });
});
