import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import { pullModel } from '../../src/model/hub/index.js';
import type { HubError } from '../../src/model/hub/index.js';
import { resolveModelFiles } from '../../src/model/model-files.js';
import { MockHub } from '../fixtures/mock-hub.js';
import { onnxRepo, safetensorsRepo, tempCache, testOptions } from '../fixtures/hub-repos.js';
import { sha256Hex as sha256 } from '../fixtures/mock-hub-repo.js';

/** Every folder under `root`, itself included. */
function folders(root: string): string[] {
  const out = [root];
  for (const entry of readdirSync(root, { withFileTypes: true })) {
    if (entry.isDirectory()) out.push(...folders(join(root, entry.name)));
  }
  return out;
}

/** Every file under `root` whose name ends with `suffix` (partial downloads, manifests). */
function filesEnding(root: string, suffix: string): string[] {
  return readdirSync(root, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith(suffix));
}

/** True if resolveModelFiles accepts some folder under the cache for some dtype. */
function anythingLoads(cacheDir: string): string | undefined {
  for (const dir of folders(cacheDir)) {
    for (const dtype of ['fp32', 'int8'] as const) {
      try {
        resolveModelFiles(dir, dtype);
        return `${dir} (${dtype})`;
      } catch {
        // expected: not a model folder
      }
    }
  }
  return undefined;
}

/** Failures mid-pull: retries, resume with Range, verification, and what is left on disk. */
describe('pullModel under faults', { timeout: 60_000 }, () => {
  let hub: MockHub;
  let cache: { dir: string; cleanup: () => Promise<void> };
  before(async () => {
    hub = await MockHub.start();
  });
  after(() => hub.close());
  beforeEach(async () => {
    cache = await tempCache();
    hub.requests.length = 0;
    hub.ignoreRange = false;
  });
  afterEach(() => cache.cleanup());

  test('a connection dropped mid-file is retried with Range and the bytes are right', async () => {
    const files = safetensorsRepo(400_000);
    hub.addCommit('acme/drop', files);
    hub.inject({ target: 'model.safetensors', kind: 'drop', dropAfterBytes: 150_000 });
    const lines: string[] = [];
    const pulled = await pullModel(
      'acme/drop',
      testOptions(cache.dir, hub.url, { log: (l) => lines.push(l) }),
    );
    assert.deepEqual(
      readFileSync(join(pulled.dir, 'model.safetensors')),
      files['model.safetensors'],
    );
    const ranges = hub.requests.filter((r) => r.server === 'cdn').map((r) => r.range);
    assert.equal(ranges.length, 2, 'one cut download, one resumed');
    assert.equal(ranges[0], undefined);
    assert.match(ranges[1] ?? '', /^bytes=(\d+)-$/);
    assert.ok(Number(/\d+/.exec(ranges[1]!)![0]) > 0, 'resumed past byte 0');
    assert.ok(
      lines.some((l) => l.includes('retry 1/2')),
      lines.join('\n'),
    );
  });

  test('a server that ignores Range (200, not 206) still yields the right file', async () => {
    const files = safetensorsRepo(200_000);
    hub.addCommit('acme/norange', files);
    hub.inject({ target: 'model.safetensors', kind: 'drop' });
    hub.ignoreRange = true;
    const lines: string[] = [];
    const opts = testOptions(cache.dir, hub.url, { log: (l) => lines.push(l) });
    const pulled = await pullModel('acme/norange', opts);
    assert.deepEqual(
      readFileSync(join(pulled.dir, 'model.safetensors')),
      files['model.safetensors'],
    );
    assert.ok(
      hub.requests.some((r) => r.server === 'cdn' && r.range),
      'a Range was asked for',
    );
    assert.ok(
      lines.some((l) => l.includes('ignored the Range')),
      lines.join('\n'),
    );
  });

  test('a pull that runs out of tries keeps its .part; the next run resumes it', async () => {
    const files = onnxRepo();
    const commit = hub.addCommit('acme/resume', files);
    hub.inject({
      target: 'onnx/model_quantized.onnx',
      kind: 'drop',
      dropAfterBytes: 20_000,
      times: 3,
    });
    await assert.rejects(
      pullModel('acme/resume', testOptions(cache.dir, hub.url)),
      (error: HubError) => {
        assert.equal(error.kind, 'network');
        return true;
      },
    );
    const repoDir = join(cache.dir, 'models--acme--resume');
    const snapshot = join(repoDir, 'snapshots', commit);
    const blob = join(repoDir, 'blobs', sha256(files['onnx/model_quantized.onnx']!));
    const part = `${blob}.incomplete`;
    assert.ok(
      statSync(part).size >= 20_000,
      'the bytes received are kept, where huggingface_hub keeps them',
    );
    assert.equal(
      existsSync(join(repoDir, '.sentiment-api', `${commit}.json`)),
      false,
      'no manifest: the snapshot is not complete',
    );
    assert.equal(
      existsSync(join(repoDir, '.sentiment-api', `${commit}.lock`)),
      false,
      'the lock is released',
    );
    assert.equal(anythingLoads(cache.dir), undefined, 'nothing under the cache loads');
    assert.throws(() => resolveModelFiles(snapshot, 'fp32'), /has no config\.json/);

    const kept = statSync(part).size;
    hub.requests.length = 0;
    const pulled = await pullModel('acme/resume', testOptions(cache.dir, hub.url));
    assert.deepEqual(
      readFileSync(join(pulled.dir, 'onnx/model_quantized.onnx')),
      files['onnx/model_quantized.onnx'],
    );
    const cdn = hub.requests.filter((r) => r.server === 'cdn');
    assert.equal(cdn.length, 1, 'onnx/model.onnx, verified last run, is not fetched again');
    assert.equal(cdn[0]!.range, `bytes=${kept}-`, 'resumed where the last run stopped');
    assert.deepEqual(filesEnding(repoDir, '.incomplete'), [], 'the part became its blob');
    assert.ok(existsSync(blob));
    assert.ok(resolveModelFiles(pulled.dir, 'fp32'));
  });

  test('a pull failing on its last file leaves no folder that loads', async () => {
    const commit = hub.addCommit('acme/lastfile', onnxRepo());
    hub.inject({ target: 'config.json', kind: 'status', status: 500, times: 3 });
    await assert.rejects(
      pullModel('acme/lastfile', testOptions(cache.dir, hub.url)),
      /answered 500/,
    );
    const snapshot = join(cache.dir, 'models--acme--lastfile', 'snapshots', commit);
    assert.ok(existsSync(join(snapshot, 'onnx', 'model.onnx')), 'weights and tokenizer are in');
    assert.ok(existsSync(join(snapshot, 'tokenizer.json')));
    assert.equal(existsSync(join(snapshot, 'config.json')), false);
    assert.equal(
      anythingLoads(cache.dir),
      undefined,
      'config.json comes last, so staging does not load',
    );
  });

  test('corrupted bytes: checksum error naming the file, and nothing left behind', async () => {
    const files = safetensorsRepo(50_000);
    const commit = hub.addCommit('acme/corrupt', files);
    hub.inject({ target: 'model.safetensors', kind: 'corrupt' });
    await assert.rejects(
      pullModel('acme/corrupt', testOptions(cache.dir, hub.url)),
      (error: HubError) => {
        assert.equal(error.kind, 'checksum');
        assert.match(error.message, /model\.safetensors/);
        assert.match(error.message, /expected sha256 [0-9a-f]{64}, got [0-9a-f]{64}/);
        return true;
      },
    );
    const repoDir = join(cache.dir, 'models--acme--corrupt');
    assert.deepEqual(filesEnding(repoDir, '.incomplete'), [], 'the bad bytes are discarded');
    assert.equal(existsSync(join(repoDir, 'blobs', sha256(files['model.safetensors']!))), false);
    assert.deepEqual(filesEnding(repoDir, '.json'), [], `no manifest for ${commit}`);
    assert.equal(existsSync(join(repoDir, 'refs')), false, 'no ref to an incomplete snapshot');
    assert.equal(anythingLoads(cache.dir), undefined);
  });

  test('500 answers are retried, then the pull succeeds', async () => {
    const files = safetensorsRepo(10_000);
    hub.addCommit('acme/flaky', files);
    hub.inject({ target: 'api', kind: 'status', status: 500 });
    hub.inject({ target: 'config.json', kind: 'status', status: 503 });
    const pulled = await pullModel('acme/flaky', testOptions(cache.dir, hub.url));
    assert.equal(readFileSync(join(pulled.dir, 'config.json'), 'utf8'), files['config.json']);
    assert.equal(hub.seen('/revision/main').length, 2);
    assert.equal(hub.seen('/resolve/').filter((r) => r.path.endsWith('/config.json')).length, 2);
  });

  test('500 on every try fails with the status and the URL', async () => {
    hub.addCommit('acme/down', safetensorsRepo(1000));
    hub.inject({ target: 'api', kind: 'status', status: 502, times: 3 });
    await assert.rejects(
      pullModel('acme/down', testOptions(cache.dir, hub.url)),
      (error: HubError) => {
        assert.equal(error.kind, 'server');
        assert.match(
          error.message,
          /answered 502 for http:\/\/127\.0\.0\.1:\d+\/api\/models\/acme\/down/,
        );
        return true;
      },
    );
    assert.equal(hub.seen('/revision/main').length, 3);
  });

  test('a live lock holder makes a second pull wait its turn; a stale lock is taken over', async () => {
    const commit = hub.addCommit('acme/locked', safetensorsRepo(1000));
    const ours = join(cache.dir, 'models--acme--locked', '.sentiment-api');
    const lock = join(ours, `${commit}.lock`);
    mkdirSync(ours, { recursive: true });
    writeFileSync(lock, String(process.pid));
    await assert.rejects(
      pullModel('acme/locked', testOptions(cache.dir, hub.url)),
      (error: HubError) => {
        assert.equal(error.kind, 'busy');
        assert.match(error.message, new RegExp(`pid ${process.pid}`));
        return true;
      },
    );
    writeFileSync(lock, '2147483646'); // no such process
    const pulled = await pullModel('acme/locked', testOptions(cache.dir, hub.url));
    assert.equal(pulled.commit, commit);
    assert.equal(existsSync(lock), false);
  });
});
