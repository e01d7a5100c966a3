import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runCli } from '../src/cli.js';

test('explain prints the /explain body for its texts, with the bundled model', async () => {
  const out: string[] = [];
  const code = await runCli(['explain', 'I hate this movie'], {
    env: { LOG_LEVEL: 'silent' },
    io: { out: (l) => out.push(l), err: () => undefined, stdinIsTTY: true },
    serve: async () => undefined,
  });
  assert.equal(code, 0);
  const body = JSON.parse(out.join('')) as {
    method: string;
    explanations: { words: { word: string; contributions: Record<string, number> }[] }[];
  };
  assert.equal(body.method, 'occlusion');
  const words = body.explanations[0]?.words ?? [];
  assert.deepEqual(
    words.map((w) => w.word),
    ['I', 'hate', 'this', 'movie'],
  );
  assert.ok((words[1]?.contributions.NEGATIVE ?? 0) > 0.5, '"hate" pushes NEGATIVE up');
});
