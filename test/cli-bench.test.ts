/**
 * `sentiment-api bench` through the real process (`node --import tsx src/main.ts`, as the bin
 * runs it), on the bundled model with a very short run: the figures, the help, and the refusal
 * to compare a raw graph other than the one the service serves.
 */
import assert from 'node:assert/strict';
import { copyFileSync, appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { runCli } from '../devkit/child-service.js';
import { BUNDLED_MODEL_DIR } from '../src/config.js';

/** The CLI with `args`: a bench run takes a while; its warnings go into a failure's message. */
const run = (args: string[]) => runCli(args, { env: { LOG_LEVEL: 'warn' }, timeoutMs: 120_000 });

const SERVED = join(BUNDLED_MODEL_DIR, 'onnx', 'model.onnx');

describe('sentiment-api bench', () => {
  test('a very short run: raw ONNX Runtime and the service on the same graph, as JSON', async () => {
    const { code, stdout, stderr } = await run([
      'bench',
      '--texts',
      '48',
      '--rounds',
      '2',
      '--clients',
      '4',
      '--json',
    ]);
    assert.equal(code, 0, stderr);
    const result = JSON.parse(stdout);
    assert.equal(result.graph, SERVED);
    assert.equal(result.graphKind, 'padded');
    assert.equal(result.workers, 1);
    assert.equal(result.texts, 48);
    assert.equal(result.raw.length, 2);
    assert.equal(result.service.length, 2);
    for (const rate of [...result.raw, ...result.service]) assert.ok(rate > 0, String(rate));
    // Two rounds: the median is the upper of the two (self-bench.ts's median).
    const median = (values: number[]) => Math.max(...values);
    assert.ok(Math.abs(result.ratio - median(result.service) / median(result.raw)) < 1e-9);
    assert.match(stderr, /round 2\/2: raw [\d.]+ seq\/s, service [\d.]+ seq\/s/);
  });

  test('a packed graph: raw ONNX Runtime runs it packed, as the service does', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'bench-packed-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    // A generated tiny model: its folder has the packed graph, which the service prefers.
    const generated = await run(['generate', '--preset', 'tiny', '--out', dir]);
    assert.equal(generated.code, 0, generated.stderr);
    const { code, stdout, stderr } = await run([
      'bench',
      '--model-dir',
      dir,
      '--texts',
      '24',
      '--rounds',
      '1',
      '--json',
    ]);
    assert.equal(code, 0, stderr);
    const result = JSON.parse(stdout);
    assert.equal(result.graph, join(dir, 'onnx', 'model_packed.onnx'));
    assert.equal(result.graphKind, 'packed');
    assert.ok(result.raw[0] > 0 && result.service[0] > 0);
  });

  test('a raw graph unlike the served one is refused in one line, exit 2, before anything is timed', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'bench-graph-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const other = join(dir, 'model.onnx');
    copyFileSync(SERVED, other);
    appendFileSync(other, Buffer.from([0]));
    const { code, stdout, stderr } = await run(['bench', '--onnx', other, '--texts', '8']);
    assert.equal(code, 2, stderr);
    assert.equal(stdout, '');
    const lines = stderr.trim().split('\n');
    assert.match(
      lines.at(-1) ?? '',
      /^sentiment-api: refusing to compare unlike graphs: the service serves .*model\.onnx, not /,
    );
    assert.doesNotMatch(stderr, /round 1/);
    // The same bytes under another name are the same graph.
    const same = join(dir, 'copy.onnx');
    copyFileSync(SERVED, same);
    const copy = await run(['bench', '--onnx', same, '--texts', '8', '--rounds', '1', '--json']);
    assert.equal(copy.code, 0, copy.stderr);
  });

  test('--help names every option; a bad value is one line, exit 2', async () => {
    const help = await run(['bench', '--help']);
    assert.equal(help.code, 0);
    for (const option of ['--texts', '--rounds', '--clients', '--onnx', '--json', '--model-dir'])
      assert.match(help.stdout, new RegExp(`${option}\\b`));
    const bad = await run(['bench', '--texts', '0']);
    assert.equal(bad.code, 2);
    assert.equal(bad.stderr.trim().split('\n').length, 1, bad.stderr);
    assert.match(bad.stderr, /^sentiment-api: option '--texts <n>' argument '0' is invalid/);
  });
});
