import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { runCli } from '../src/cli.js';

function capture(stdin?: string) {
  const out: string[] = [];
  const err: string[] = [];
  const served: unknown[] = [];
  const cli = (...argv: string[]) =>
    runCli(argv, {
      env: { LOG_LEVEL: 'silent' },
      io: {
        out: (l: string) => out.push(l),
        err: (l: string) => err.push(l),
        ...(stdin !== undefined ? { readStdin: async () => stdin } : { stdinIsTTY: true }),
      },
      serve: async (config) => void served.push(config),
    });
  return { cli, out, err, served };
}

describe('sentiment-api commands', () => {
  test('predict prints the /predict body for its texts, with the bundled model', async () => {
    const { cli, out } = capture();
    assert.equal(await cli('predict', '--json', 'I love you.', 'I hate you.'), 0);
    const body = JSON.parse(out.join('')) as { predictions: { label: string; score: number }[][] };
    assert.equal(body.predictions.length, 2);
    assert.deepEqual(
      body.predictions[0]?.map((p) => p.label),
      ['NEGATIVE', 'POSITIVE'],
    );
  });

  test('an unknown command, flag or missing argument → exit 2 with one line naming it', async () => {
    for (const [argv, problem] of [
      [['frob'], /unknown command 'frob'/],
      [['pull'], /missing required argument 'model'/],
      [['convert'], /missing required argument 'model-dir'/],
      [['generate', '--preset', 'huge', '--out', 'x'], /'huge' is invalid/],
      [['generate', '--seed', '1.5', '--out', 'x'], /whole number/],
      [['convert', 'dir', '--quantize', 'int4'], /'int4' is invalid/],
      [['predict'], /predict takes texts/],
      [['serve', '--port', '99999'], /configuration error: PORT must be between 0 and 65535/],
    ] as const) {
      const { cli, err, served } = capture();
      assert.equal(await cli(...argv), 2, argv.join(' '));
      assert.equal(err.length, 1, err.join('\n'));
      assert.match(err[0] as string, /^sentiment-api: /);
      assert.match(err[0] as string, problem);
      assert.equal(served.length, 0);
    }
  });

  test('help prints the usage and every command', async () => {
    const { cli, out } = capture();
    assert.equal(await cli('--help'), 0);
    for (const command of ['serve', 'predict', 'pull', 'convert', 'generate'])
      assert.match(out.join('\n'), new RegExp(`^  ${command}\\b`, 'm'));
  });

  test('serve is the default; its flags set the same fields as the environment', async () => {
    const { cli, served } = capture();
    assert.equal(await cli('--port', '9001'), undefined, 'serving: no exit code');
    assert.equal(
      await cli('serve', '--port', '9000', '--model-name', 'x', '--workers', '3'),
      undefined,
    );
    const [first, second] = served as {
      port: number;
      modelName: string;
      inferenceWorkers: number;
    }[];
    assert.equal(first?.port, 9001);
    assert.deepEqual([second?.port, second?.modelName, second?.inferenceWorkers], [9000, 'x', 3]);
  });
});
