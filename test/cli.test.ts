import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { runCommand } from '../src/cli.js';
import { loadConfig } from '../src/config.js';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l) }, out, err };
}

const config = loadConfig({ LOG_LEVEL: 'silent' });

describe('sentiment-api commands', () => {
  test('predict prints the /predict body for its texts, with the bundled model', async () => {
    const { io, out } = capture();
    assert.equal(await runCommand('predict', ['I love you.', 'I hate you.'], config, io), 0);
    const body = JSON.parse(out.join('')) as { predictions: { label: string; score: number }[][] };
    assert.equal(body.predictions.length, 2);
    assert.deepEqual(
      body.predictions[0]?.map((p) => p.label),
      ['NEGATIVE', 'POSITIVE'],
    );
  });

  test('an unknown command or missing argument → exit 2 with usage', async () => {
    for (const [command, args] of [
      ['frob', []],
      ['pull', []],
      ['convert', []],
      ['generate', ['--preset', 'huge']],
      ['predict', []],
    ] as const) {
      const { io, err } = capture();
      assert.equal(await runCommand(command, [...args], config, io), 2, command);
      assert.match(err.join('\n'), /usage: sentiment-api/);
    }
  });

  test('help prints the usage', async () => {
    const { io, out } = capture();
    assert.equal(await runCommand('help', [], config, io), 0);
    assert.match(out.join('\n'), /pull <org\/name>\[@revision\]/);
  });
});
