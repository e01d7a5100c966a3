import assert from 'node:assert/strict';
import { existsSync, lstatSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, test } from 'node:test';
import { pullModel } from '../../src/model/hub/index.js';
import { resolveModelFiles } from '../../src/model/model-files.js';
import { MockHub } from '../fixtures/mock-hub.js';
import {
  onnxRepo,
  safetensorsRepo,
  suiteHubAndCache,
  tempCache,
  testOptions,
} from '../fixtures/hub-repos.js';
import { gitBlobId, sha256Hex as sha256 } from '../fixtures/mock-hub-repo.js';

/** End-to-end pulls against the mock Hub: what lands on disk, and when the network is used. */
describe('pullModel', { timeout: 60_000 }, () => {
  const suite = suiteHubAndCache();

  test('pulls config, tokenizer files and model.safetensors of main into a Hub cache snapshot', async () => {
    const files = safetensorsRepo();
    const commit = suite.hub.addCommit('acme/sst2', files);
    const pulled = await pullModel('acme/sst2', testOptions(suite.cacheDir, suite.hub.url));
    const repoDir = join(suite.cacheDir, 'models--acme--sst2');
    assert.deepEqual(pulled, {
      dir: join(repoDir, 'snapshots', commit),
      repo: 'acme/sst2',
      commit,
      fromCache: false,
    });
    for (const name of [
      'config.json',
      'tokenizer.json',
      'tokenizer_config.json',
      'vocab.txt',
      'model.safetensors',
    ]) {
      assert.deepEqual(readFileSync(join(pulled.dir, name)), Buffer.from(files[name]!), name);
      assert.ok(lstatSync(join(pulled.dir, name)).isSymbolicLink(), `${name} links to its blob`);
    }
    // Blobs are named as every Hub client names them: sha256 for LFS, git blob id otherwise;
    // links are relative, so the cache can move.
    const weightsSha = sha256(files['model.safetensors']!);
    assert.equal(readlinkSync(join(pulled.dir, 'model.safetensors')), `../../blobs/${weightsSha}`);
    assert.equal(
      readlinkSync(join(pulled.dir, 'config.json')),
      `../../blobs/${gitBlobId(files['config.json']!)}`,
    );
    assert.equal(
      existsSync(join(pulled.dir, 'README.md')),
      false,
      'files the service does not need stay on the Hub',
    );
    assert.equal(existsSync(join(pulled.dir, 'pytorch_model.bin')), false);
    assert.equal(existsSync(join(pulled.dir, 'manifest.json')), false, 'the snapshot is pure');
    const manifestPath = join(repoDir, '.sentiment-api', `${commit}.json`);
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
    assert.equal(manifest.repo, 'acme/sst2');
    assert.equal(manifest.revision, 'main');
    assert.equal(manifest.commit, commit);
    assert.ok(!Number.isNaN(Date.parse(manifest.pulledAt)));
    const weights = manifest.files.find((f: { path: string }) => f.path === 'model.safetensors');
    assert.equal(weights.size, 300_000);
    assert.equal(weights.sha256, weightsSha);
    assert.equal(readFileSync(join(repoDir, 'refs', 'main'), 'utf8'), commit);
    assert.deepEqual(
      suite.hub.requests.filter((r) => r.server === 'cdn').map((r) => r.path),
      [`/cdn/${weights.sha256}`],
      'the LFS file came through the redirect to the CDN',
    );
  });

  test('prefers the ONNX graphs of a transformers.js-style repo; the folder loads', async () => {
    const files = onnxRepo();
    const commit = suite.hub.addCommit('Xenova/sst2', files);
    const pulled = await pullModel('Xenova/sst2@main', testOptions(suite.cacheDir, suite.hub.url));
    assert.equal(pulled.commit, commit);
    assert.deepEqual(readFileSync(join(pulled.dir, 'onnx/model.onnx')), files['onnx/model.onnx']);
    assert.equal(
      readlinkSync(join(pulled.dir, 'onnx/model.onnx')),
      `../../../blobs/${sha256(files['onnx/model.onnx']!)}`,
      'one ../ more for a file in a folder',
    );
    assert.ok(existsSync(join(pulled.dir, 'onnx/model_quantized.onnx')));
    assert.ok(existsSync(join(pulled.dir, 'special_tokens_map.json')));
    assert.equal(existsSync(join(pulled.dir, 'model.safetensors')), false);
    assert.equal(existsSync(join(pulled.dir, 'onnx/model_fp16.onnx')), false);
    const model = resolveModelFiles(pulled.dir, 'int8');
    assert.equal(model.revision, commit, 'model-files.ts reads the commit off the snapshot path');
  });

  test('resolves a tag and a refs/pr/N revision to their own commits', async () => {
    const v1 = suite.hub.addCommit('acme/tagged', safetensorsRepo(1000), { refs: ['v1.0'] });
    const main = suite.hub.addCommit('acme/tagged', safetensorsRepo(2000), { refs: ['main'] });
    const pr = suite.hub.addCommit('acme/tagged', safetensorsRepo(3000), { refs: ['refs/pr/1'] });
    const tagged = await pullModel('acme/tagged@v1.0', testOptions(suite.cacheDir, suite.hub.url));
    assert.equal(tagged.commit, v1);
    assert.equal(readFileSync(join(tagged.dir, 'model.safetensors')).length, 1000);
    assert.equal(
      (await pullModel('acme/tagged', testOptions(suite.cacheDir, suite.hub.url))).commit,
      main,
    );
    const fromPr = await pullModel(
      'acme/tagged@refs/pr/1',
      testOptions(suite.cacheDir, suite.hub.url),
    );
    assert.equal(fromPr.commit, pr);
    assert.equal(
      suite.hub.seen('/revision/refs%2Fpr%2F1').length,
      1,
      'the revision is URL-encoded',
    );
    assert.equal(
      readFileSync(join(suite.cacheDir, 'models--acme--tagged', 'refs', 'refs', 'pr', '1'), 'utf8'),
      pr,
    );
  });

  test('a cached commit is not downloaded again; a moved branch fetches only the files that changed', async () => {
    const first = suite.hub.addCommit('acme/moving', safetensorsRepo(1000));
    assert.equal(
      (await pullModel('acme/moving', testOptions(suite.cacheDir, suite.hub.url))).fromCache,
      false,
    );
    const before = suite.hub.requests.length;
    const again = await pullModel('acme/moving', testOptions(suite.cacheDir, suite.hub.url));
    assert.deepEqual([again.commit, again.fromCache], [first, true]);
    assert.deepEqual(
      suite.hub.requests.slice(before).map((r) => r.path),
      ['/api/models/acme/moving/revision/main?blobs=true'],
      'only the branch is resolved; no file is fetched',
    );
    const second = suite.hub.addCommit('acme/moving', safetensorsRepo(2000));
    const beforeMove = suite.hub.requests.length;
    const moved = await pullModel('acme/moving', testOptions(suite.cacheDir, suite.hub.url));
    assert.deepEqual([moved.commit, moved.fromCache], [second, false]);
    assert.deepEqual(
      suite.hub.requests
        .slice(beforeMove)
        .filter((r) => r.server === 'hub')
        .map((r) => r.path),
      [
        '/api/models/acme/moving/revision/main?blobs=true',
        `/acme/moving/resolve/${second}/model.safetensors`,
      ],
      'config and tokenizer files, unchanged, link the blobs the first commit brought',
    );
    assert.equal(
      readFileSync(join(suite.cacheDir, 'models--acme--moving', 'refs', 'main'), 'utf8'),
      second,
    );
  });

  test('progress: plain lines on a stream that is not a TTY', async () => {
    suite.hub.addCommit('acme/progress', safetensorsRepo(1000));
    const out = new PassThrough();
    const chunks: Buffer[] = [];
    out.on('data', (c: Buffer) => chunks.push(c));
    const lines: string[] = [];
    await pullModel(
      'acme/progress',
      testOptions(suite.cacheDir, suite.hub.url, { progress: out, log: (l) => lines.push(l) }),
    );
    const text = Buffer.concat(chunks).toString();
    assert.match(text, /pull: fetching model\.safetensors \(1\.0 kB\)/);
    assert.match(text, /pull: model\.safetensors done/);
    assert.equal(text.includes('\u001b['), false, 'no terminal escapes when not a TTY');
    assert.ok(
      lines.some((l) => l.includes('is commit')),
      lines.join('\n'),
    );
  });

  test('progress: a bar redrawn in place on a TTY', async () => {
    suite.hub.addCommit('acme/bar', safetensorsRepo(5000));
    const tty = Object.assign(new PassThrough(), { isTTY: true, columns: 120 });
    const chunks: Buffer[] = [];
    tty.on('data', (c: Buffer) => chunks.push(c));
    await pullModel('acme/bar', testOptions(suite.cacheDir, suite.hub.url, { progress: tty }));
    const text = Buffer.concat(chunks).toString();
    assert.ok(text.includes('\u001b['), 'terminal escapes redraw the bar');
    assert.match(text, /100% \| 5\.\d kB \/ 5\.\d kB/);
  });
});

describe('pullModel from the cache alone', { timeout: 60_000 }, () => {
  test('pinned commit and branch are served with the Hub gone; offline never dials', async () => {
    const hub = await MockHub.start();
    const cache = await tempCache();
    try {
      const commit = hub.addCommit('acme/offline', safetensorsRepo(1000));
      const first = await pullModel('acme/offline', testOptions(cache.dir, hub.url));
      const endpoint = hub.url;
      await hub.close();

      const pinned = await pullModel(`acme/offline@${commit}`, testOptions(cache.dir, endpoint));
      assert.deepEqual(pinned, { ...first, fromCache: true });

      const lines: string[] = [];
      const branch = await pullModel(
        'acme/offline',
        testOptions(cache.dir, endpoint, { log: (l) => lines.push(l) }),
      );
      assert.deepEqual(branch, { ...first, fromCache: true });
      assert.ok(
        lines.some((l) => l.includes('ECONNREFUSED') && l.includes('using cached')),
        lines.join('\n'),
      );

      // An endpoint that would fail loudly if dialled: offline must not even try.
      const offline = testOptions(cache.dir, 'http://127.0.0.1:1', { offline: true });
      assert.deepEqual(await pullModel('acme/offline@main', offline), {
        ...first,
        fromCache: true,
      });
      await assert.rejects(pullModel('acme/other', offline), (error: Error) => {
        assert.equal((error as { kind?: string }).kind, 'offline_not_cached');
        assert.match(error.message, /acme\/other@main is not cached/);
        assert.match(error.message, /HF_HUB_OFFLINE/);
        assert.match(error.message, /sentiment-api pull acme\/other@main/);
        return true;
      });
      await assert.rejects(pullModel('acme/offline@v2', offline), /not cached/);
    } finally {
      await hub.close().catch(() => undefined);
      await cache.cleanup();
    }
  });
});
