import assert from 'node:assert/strict';
import {
  lstatSync,
  mkdirSync,
  readFileSync,
  readlinkSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { describe, test } from 'node:test';
import { scanCacheDir } from '@huggingface/hub';
import { convertModel, generateModel, PRESETS } from '../../src/model/convert/index.js';
import { pullModel } from '../../src/model/hub/index.js';
import { resolveModelFiles } from '../../src/model/model-files.js';
import type { RepoFiles } from '../fixtures/mock-hub.js';
import {
  safetensorsRepo,
  suiteHubAndCache,
  tempCache,
  testOptions,
} from '../fixtures/hub-repos.js';
import { gitBlobId, sha256Hex as sha256 } from '../fixtures/mock-hub-repo.js';

/**
 * Lays `files` out by hand as huggingface_hub's `snapshot_download` leaves them: blobs named
 * by etag (sha256 for LFS files, git blob id otherwise), relative links from the snapshot,
 * refs/main holding the commit. No manifest of ours.
 */
function layOutAsHuggingfaceHub(cacheDir: string, repo: string, commit: string, files: RepoFiles) {
  const repoDir = join(cacheDir, `models--${repo.replace('/', '--')}`);
  for (const [path, data] of Object.entries(files)) {
    const etag = /\.(safetensors|onnx|bin)$/.test(path) ? sha256(data) : gitBlobId(data);
    const blob = join(repoDir, 'blobs', etag);
    const link = join(repoDir, 'snapshots', commit, path);
    mkdirSync(dirname(blob), { recursive: true });
    mkdirSync(dirname(link), { recursive: true });
    writeFileSync(blob, data);
    symlinkSync(relative(dirname(link), blob), link);
  }
  mkdirSync(join(repoDir, 'refs'), { recursive: true });
  writeFileSync(join(repoDir, 'refs', 'main'), commit);
  return join(repoDir, 'snapshots', commit);
}

/** The cache layout shared with huggingface_hub, transformers and @huggingface/hub. */
describe('Hub cache layout', { timeout: 60_000 }, () => {
  const suite = suiteHubAndCache();

  test('a model huggingface_hub already downloaded is served with no download', async (t) => {
    const files = safetensorsRepo(20_000);
    const commit = suite.hub.addCommit('acme/theirs', files);
    const cache = await tempCache();
    t.after(() => cache.cleanup());
    const snapshot = layOutAsHuggingfaceHub(cache.dir, 'acme/theirs', commit, files);

    // Offline, with no manifest of ours: the snapshot holds weights, tokenizer and config.
    const offline = testOptions(cache.dir, 'http://127.0.0.1:1', { offline: true });
    assert.deepEqual(await pullModel('acme/theirs', offline), {
      dir: snapshot,
      repo: 'acme/theirs',
      commit,
      fromCache: true,
    });

    // Online: one API call for the file list, no file fetched, and the snapshot is adopted.
    suite.hub.requests.length = 0;
    const pulled = await pullModel('acme/theirs', testOptions(cache.dir, suite.hub.url));
    assert.deepEqual(pulled, { dir: snapshot, repo: 'acme/theirs', commit, fromCache: true });
    assert.deepEqual(
      suite.hub.requests.map((r) => r.path),
      ['/api/models/acme/theirs/revision/main?blobs=true'],
    );
    const manifest = JSON.parse(
      readFileSync(
        join(cache.dir, 'models--acme--theirs', '.sentiment-api', `${commit}.json`),
        'utf8',
      ),
    );
    const weights = manifest.files.find((f: { path: string }) => f.path === 'model.safetensors');
    assert.equal(weights.sha256, sha256(files['model.safetensors']!), 'adopted files are verified');

    // Now complete for us too: a pinned commit needs no request at all.
    suite.hub.requests.length = 0;
    await pullModel(`acme/theirs@${commit}`, testOptions(cache.dir, suite.hub.url));
    assert.deepEqual(suite.hub.requests, []);
  });

  test('a foreign blob that fails its checksum is fetched again, not served', async (t) => {
    const files = safetensorsRepo(10_000);
    const commit = suite.hub.addCommit('acme/damaged', files);
    const cache = await tempCache();
    t.after(() => cache.cleanup());
    const snapshot = layOutAsHuggingfaceHub(cache.dir, 'acme/damaged', commit, files);
    const blob = join(snapshot, readlinkSync(join(snapshot, 'model.safetensors')));
    const damaged = Buffer.from(files['model.safetensors']!);
    damaged[0]! ^= 0xff;
    writeFileSync(blob, damaged);
    suite.hub.requests.length = 0;
    const pulled = await pullModel('acme/damaged', testOptions(cache.dir, suite.hub.url));
    assert.equal(pulled.fromCache, false);
    assert.deepEqual(
      readFileSync(join(pulled.dir, 'model.safetensors')),
      Buffer.from(files['model.safetensors']!),
    );
    assert.equal(suite.hub.seen('/resolve/').length, 1, 'only the damaged file is fetched');
  });

  test('converting a pulled snapshot writes new files and never writes through a link', async (t) => {
    const source = await mkdtemp(join(tmpdir(), 'generated-'));
    const cache = await tempCache();
    t.after(async () => {
      await rm(source, { recursive: true, force: true });
      await cache.cleanup();
    });
    await generateModel(source, PRESETS.tiny);
    const names = ['config.json', 'model.safetensors', 'tokenizer.json', 'vocab.txt'];
    const files = Object.fromEntries(names.map((n) => [n, readFileSync(join(source, n))]));
    const commit = suite.hub.addCommit('acme/convertible', files);
    const pulled = await pullModel('acme/convertible', testOptions(cache.dir, suite.hub.url));
    const weightsLink = join(pulled.dir, 'model.safetensors');
    const blob = join(dirname(weightsLink), readlinkSync(weightsLink));

    await convertModel(pulled.dir, { quantize: 'int8' });
    assert.ok(lstatSync(weightsLink).isSymbolicLink());
    assert.equal(sha256(readFileSync(blob)), sha256(files['model.safetensors']!), 'blob intact');
    for (const graph of ['onnx/model.onnx', 'onnx/model_quantized.onnx']) {
      assert.ok(lstatSync(join(pulled.dir, graph)).isFile(), `${graph} is a plain file`);
    }
    const model = resolveModelFiles(pulled.dir, 'int8');
    assert.equal(model.revision, commit);

    // The official client's cache scan still reads the folder: refs point at a snapshot,
    // every link resolves, our .sentiment-api/ folder is ignored.
    const scan = await scanCacheDir(cache.dir);
    assert.deepEqual(scan.warnings, []);
    const [repo] = scan.repos;
    assert.equal(repo?.id.name, 'acme/convertible');
    assert.deepEqual(
      repo?.revisions.map((r) => [r.commitOid, r.refs]),
      [[commit, ['main']]],
    );
  });
});
