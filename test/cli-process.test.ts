/**
 * The `sentiment-api` command line through the real process (`node --import tsx src/main.ts`,
 * as the bin runs it): exit codes, stdout and stderr as a shell user sees them.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, test } from 'node:test';
import { runCli } from '../devkit/child-service.js';
import { REPO_ROOT } from '../devkit/shared-data.js';

/** The CLI with `args` and `stdin`. */
const run = (args: string[], stdin = '') => runCli(args, { stdin });

const version = (
  JSON.parse(readFileSync(resolve(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }
).version;

describe('sentiment-api as a process', () => {
  test('--version prints the package version, exit 0', async () => {
    const { code, stdout } = await run(['--version']);
    assert.equal(code, 0);
    assert.equal(stdout, `${version}\n`);
  });

  test('--help lists the commands; each command has its own help', async () => {
    const top = await run(['--help']);
    assert.equal(top.code, 0);
    for (const command of ['serve', 'predict', 'pull', 'convert', 'generate'])
      assert.match(top.stdout, new RegExp(`^  ${command}\\b`, 'm'));
    const help = await Promise.all([
      run(['serve', '--help']),
      run(['predict', '--help']),
      run(['generate', '--help']),
    ]);
    for (const { code } of help) assert.equal(code, 0);
    assert.match(help[0]!.stdout, /--port <port>.*\(PORT\)/);
    assert.match(help[1]!.stdout, /--json/);
    assert.match(help[2]!.stdout, /--preset <preset>.*default: "tiny"/s);
  });

  test('a bad flag: one line on stderr, exit 2, nothing on stdout', async () => {
    const { code, stdout, stderr } = await run(['predict', '--frob']);
    assert.equal(code, 2);
    assert.equal(stdout, '');
    assert.equal(stderr, "sentiment-api: unknown option '--frob'\n");
  });

  test('a bad value for a flag is refused by the config check, exit 2', async () => {
    const { code, stderr } = await run(['serve', '--port', 'eighty']);
    assert.equal(code, 2);
    assert.equal(
      stderr,
      "sentiment-api: configuration error: PORT must be a whole number, got 'eighty'\n",
    );
  });

  test('predict from stdin: two lines in, two predictions out (--json, the /predict body)', async () => {
    const { code, stdout, stderr } = await run(['predict', '--json'], 'I love you.\nI hate you.\n');
    assert.equal(code, 0, stderr);
    const body = JSON.parse(stdout) as { predictions: { label: string; score: number }[][] };
    assert.equal(body.predictions.length, 2);
    for (const row of body.predictions) {
      assert.deepEqual(
        row.map((p) => p.label),
        ['NEGATIVE', 'POSITIVE'],
      );
      assert.ok(Math.abs(row[0]!.score + row[1]!.score - 1) < 1e-9);
    }
    assert.ok(
      body.predictions[0]![1]!.score > body.predictions[1]![1]!.score,
      'love is more positive',
    );
  });

  test('predict with a table: a header and one row per text (arguments and - for stdin)', async () => {
    const { code, stdout, stderr } = await run(
      ['predict', '--table', 'I love you.', '-'],
      'I hate you.\n',
    );
    assert.equal(code, 0, stderr);
    const lines = stdout.trimEnd().split('\n');
    assert.equal(lines.length, 3, stdout);
    assert.match(lines[0]!, /^text\s+label\s+score$/);
    assert.match(lines[1]!, /^I love you\.\s+POSITIVE\s+0\.\d{4}$/);
    assert.match(lines[2]!, /^I hate you\.\s+NEGATIVE\s+0\.\d{4}$/);
  });

  test('predict on a model folder that does not exist: one line, exit 1', async () => {
    const { code, stderr } = await run(['predict', '--model-dir', '/nonexistent/model', 'x']);
    assert.equal(code, 1);
    assert.equal(stderr, 'sentiment-api: model folder /nonexistent/model does not exist\n');
  });
});
