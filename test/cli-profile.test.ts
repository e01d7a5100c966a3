/**
 * `sentiment-api profile` through the real process (`node --import tsx src/main.ts`, as the
 * bin runs it): help, usage mistakes (exit 2, one line), and a run of the bundled model over a
 * small TSV whose profile loads and holds no text.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { loadProfile } from '../src/monitoring/profile.js';
import { runCli } from '../devkit/child-service.js';

/** The CLI with `args`: a profile run over the bundled model takes a while. */
const run = (args: string[]) => runCli(args, { timeoutMs: 120_000 });

const dir = mkdtempSync(join(tmpdir(), 'cli-profile-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** 40 reviews in SST-2's TSV shape, labels 0/1, written by the test (no download). */
const REVIEWS = [
  ['a charming and often affecting journey', 1],
  ['unflinchingly bleak and desperate', 0],
  ['the acting , costumes , music , cinematography and sound are all astounding', 1],
  ['it is a tedious , boring mess', 0],
  ['a gorgeous , witty , seductive movie', 1],
  ['the plot is nothing but boilerplate cliches from start to finish', 0],
  ['one of the greatest family-oriented , fantasy-adventure movies ever', 1],
  [
    'a dull , simple-minded and stereotypical tale of drugs , death and mind-numbing indifference',
    0,
  ],
] as const;
const tsv = [
  'sentence\tlabel',
  ...Array.from({ length: 40 }, (_, i) => {
    const [text, label] = REVIEWS[i % REVIEWS.length] as readonly [string, number];
    return `${text} ${i} \t${label}`;
  }),
].join('\n');
const data = join(dir, 'reviews.tsv');
writeFileSync(data, `${tsv}\n`);

describe('sentiment-api profile as a process', () => {
  test('help: listed among the commands, its flags described', async () => {
    const top = await run(['--help']);
    assert.equal(top.code, 0);
    assert.match(top.stdout, /^ {2}profile\b/m);
    const help = await run(['profile', '--help']);
    assert.equal(help.code, 0);
    for (const flag of [
      '--data <file>',
      '--text-column <name>',
      '--label-column <name>',
      '--out <file>',
    ])
      assert.ok(help.stdout.includes(flag), flag);
  });

  test('usage mistakes: one line on stderr, exit 2', async () => {
    const bad = await run(['profile', '--data', data, '--frob']);
    assert.equal(bad.code, 2);
    assert.equal(bad.stderr, "sentiment-api: unknown option '--frob'\n");
    const none = await run(['profile']);
    assert.equal(none.code, 2);
    assert.equal(none.stderr, "sentiment-api: required option '--data <file>' not specified\n");
    const missing = await run(['profile', '--data', join(dir, 'absent.tsv')]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /^sentiment-api: --data .*absent\.tsv: no such file\n$/);
    const zero = await run(['profile', '--data', data, '--texts-per-request', '0']);
    assert.equal(zero.code, 2);
    assert.match(zero.stderr, /--texts-per-request.*at least 1/);
  });

  test('a label the model does not have: the line named, exit 2, nothing written', async () => {
    const path = join(dir, 'bad-label.tsv');
    writeFileSync(path, 'sentence\tlabel\ngood\t1\nmeh\tneutral\n');
    const out = join(dir, 'never.json');
    const result = await run(['profile', '--data', path, '--out', out]);
    assert.equal(result.code, 2, result.stderr);
    assert.equal(
      result.stderr,
      `sentiment-api: ${path}:3: label "neutral" is none of NEGATIVE, POSITIVE (or 0…1)\n`,
    );
    assert.throws(() => readFileSync(out));
  });

  test('a run on a small TSV: the profile loads, labelled, with the representation projected', async () => {
    const out = join(dir, 'profile.json');
    const result = await run(['profile', '--data', data, '--out', out]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(
      result.stdout,
      /^wrote .*profile\.json: 40 texts \(no requests: texts_per_request is learned from traffic\), accuracy 0\.\d{4}, F1 0\.\d{4}, 3 representation components\n$/,
    );
    const profile = loadProfile(out);
    // A TSV has no requests: no texts_per_request (the monitor learns it from traffic).
    assert.equal(profile.source.requests, undefined);
    assert.equal(profile.features.texts_per_request, undefined);
    assert.equal(profile.source.data, 'reviews.tsv');
    assert.equal(profile.source.texts, 40);
    assert.equal(profile.source.labelled, true);
    assert.deepEqual(profile.labels, ['NEGATIVE', 'POSITIVE']);
    assert.ok((profile.metrics?.accuracy as number) >= 0.5, JSON.stringify(profile.metrics));
    assert.equal(profile.projection?.components.length, 3);
    assert.ok(profile.features.representation_pc1);
    assert.equal(profile.calibration.method, 'reference_accuracy');
    // Grouped into requests, texts_per_request is recorded.
    const grouped = join(dir, 'grouped.json');
    const four = await run([
      'profile',
      '--data',
      data,
      '--out',
      grouped,
      '--texts-per-request',
      '4',
    ]);
    assert.equal(four.code, 0, four.stderr);
    assert.match(four.stdout, /: 40 texts in 10 requests, /);
    assert.equal(loadProfile(grouped).source.requests, 10);
    assert.deepEqual(loadProfile(grouped).features.texts_per_request?.shares, [1, 0]);
    // Statistics only: not one word of the reviews.
    const written = readFileSync(out, 'utf8');
    for (const word of ['charming', 'bleak', 'cinematography', 'boilerplate'])
      assert.ok(!written.includes(word), word);
  });
});
