import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { ConfigError } from '../../src/errors.js';
import { buildProfile } from '../../src/monitoring/build-profile.js';
import {
  PROFILE_FORMAT,
  defaultProfilePath,
  loadProfile,
  profileFeatures,
} from '../../src/monitoring/profile.js';
import { readReferenceData, ReferenceDataError } from '../../src/monitoring/reference-data.js';
import { REQUEST_FEATURE, TEXT_FEATURES } from '../../src/monitoring/types.js';
import { random } from './feature-streams.js';

const dir = mkdtempSync(join(tmpdir(), 'profile-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const LABELS = ['NEGATIVE', 'POSITIVE'];

/** 200 synthetic texts' vectors with 8-wide representations spread along two directions. */
function sample(): Parameters<typeof buildProfile>[0] {
  const next = random(3);
  const vectors = Array.from({ length: 200 }, (_, i) => {
    const confidence = 0.5 + next() / 2;
    return [5 + (i % 40), 0, 0, 0, 0.8 + next() / 10, 0, confidence, i % 2, 2 * confidence - 1];
  });
  const representations = vectors.map((_, i) =>
    Float32Array.from({ length: 8 }, (_, d) =>
      d === 0 ? 10 * Math.sin(i) : d === 1 ? Math.cos(i) : next() * 0.01,
    ),
  );
  const predicted = vectors.map((v) => v[7] as number);
  const actual = predicted.map((p, i) => (i % 5 === 0 ? 1 - p : p));
  return {
    data: 'dev.tsv',
    labels: LABELS,
    positiveId: 1,
    vectors,
    representations,
    textsPerRequest: Array.from({ length: 100 }, () => 2),
    predicted,
    actual,
    createdAt: new Date('2026-12-01T12:00:00Z'),
  };
}

function write(name: string, value: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof value === 'string' ? value : JSON.stringify(value));
  return path;
}

test('buildProfile: every feature, the projection and its components, metrics and calibration', () => {
  const profile = buildProfile(sample());
  assert.equal(profile.format, PROFILE_FORMAT);
  assert.deepEqual(profile.source, {
    data: 'dev.tsv',
    texts: 200,
    requests: 100,
    labelled: true,
    createdAt: '2026-12-01T12:00:00.000Z',
  });
  assert.equal(profile.positiveLabel, 'POSITIVE');
  assert.deepEqual(profileFeatures(profile), [
    ...TEXT_FEATURES,
    'representation_pc1',
    'representation_pc2',
    'representation_pc3',
    REQUEST_FEATURE,
  ]);
  assert.deepEqual(Object.keys(profile.features).sort(), profileFeatures(profile).sort());
  assert.equal(profile.projection?.components.length, 3);
  // The widest direction of the representations is their first coordinate.
  assert.ok(Math.abs(profile.projection?.components[0]?.[0] as number) > 0.99);
  assert.equal(profile.metrics?.accuracy, 0.8);
  assert.equal(profile.calibration.method, 'reference_accuracy');
  assert.deepEqual(profile.calibration.edges, profile.features.confidence?.edges);
  assert.deepEqual(profile.features.texts_per_request, { edges: [2 + 2e-9], shares: [1, 0] });
  // Statistics only: nothing in it is a text.
  assert.doesNotMatch(JSON.stringify(profile), /"[a-z ]{30,}"/);
  assert.equal(loadProfile(write('good.json', profile)).source.texts, 200);
});

test('unlabelled and without representations: no metrics, identity calibration, no projection', () => {
  const profile = buildProfile({ ...sample(), actual: undefined, representations: undefined });
  assert.equal(profile.metrics, undefined);
  assert.equal(profile.projection, undefined);
  assert.equal(profile.source.labelled, false);
  assert.equal(profile.calibration.method, 'identity');
  assert.equal(loadProfile(write('unlabelled.json', profile)).calibration.method, 'identity');
});

test('data without requests: no texts_per_request, no source.requests, and it loads', () => {
  const profile = buildProfile({ ...sample(), textsPerRequest: undefined });
  assert.equal(profile.source.requests, undefined);
  assert.equal('requests' in profile.source, false);
  assert.equal(profile.features[REQUEST_FEATURE], undefined);
  assert.equal(profileFeatures(profile).includes(REQUEST_FEATURE), false);
  assert.deepEqual(Object.keys(profile.features).sort(), profileFeatures(profile).sort());
  const loaded = loadProfile(write('flat.json', profile));
  assert.equal(profileFeatures(loaded).at(-1), 'representation_pc3');
});

test('loadProfile names the file and the fault', () => {
  const good = buildProfile(sample());
  const faults: [string, unknown, RegExp][] = [
    ['not-json.json', '{"format": ', /not-json\.json: .*JSON/],
    [
      'format.json',
      { ...good, format: 'sentiment-api.profile/9' },
      /format is "sentiment-api\.profile\/9"/,
    ],
    ['shape.json', { ...good, labels: 'NEGATIVE' }, /\/labels: Expected array/],
    ['extra.json', { ...good, texts: ['a review'] }, /Unexpected property/],
    [
      'missing.json',
      { ...good, features: { ...good.features, wordpieces: undefined } },
      /features: wordpieces is missing/,
    ],
    [
      'sum.json',
      { ...good, features: { ...good.features, positive: { edges: [0.5], shares: [0.5, 0.6] } } },
      /features\.positive: shares sum to 1\.1/,
    ],
    [
      'order.json',
      {
        ...good,
        features: { ...good.features, margin: { edges: [0.5, 0.2], shares: [0.3, 0.3, 0.4] } },
      },
      /features\.margin: edges must be ascending/,
    ],
    [
      'calibration.json',
      { ...good, calibration: { ...good.calibration, edges: [0.7] } },
      /calibration: edges/,
    ],
    ['label.json', { ...good, positiveLabel: 'GOOD' }, /positiveLabel GOOD/],
    [
      'requests-without-feature.json',
      { ...good, features: { ...good.features, texts_per_request: undefined } },
      /features: texts_per_request is missing/,
    ],
    [
      'feature-without-requests.json',
      { ...good, source: { ...good.source, requests: undefined } },
      /features\.texts_per_request: present without source\.requests/,
    ],
    [
      'projection.json',
      { ...good, projection: { mean: [0, 0], components: [[1, 0, 0]] } },
      /projection: every component/,
    ],
  ];
  for (const [name, value, message] of faults) {
    const path = write(name, value);
    assert.throws(
      () => loadProfile(path),
      (error: unknown) =>
        error instanceof ConfigError &&
        error.message.startsWith(`reference profile ${path}: `) &&
        message.test(error.message),
      name,
    );
  }
  assert.throws(() => loadProfile(join(dir, 'absent.json')), /absent\.json: ENOENT/);
  assert.equal(defaultProfilePath('/m'), '/m/monitoring/reference-profile.json');
});

test('reference data: a TSV (SST-2 shape), labels by class id, no requests unless grouped', () => {
  const path = write('small.tsv', 'sentence\tlabel\nit is great \t1\nit is bad \t0\nso-so\t1\n');
  assert.deepEqual(readReferenceData(path, LABELS), {
    texts: ['it is great', 'it is bad', 'so-so'],
    requests: undefined,
    labels: [1, 0, 1],
  });
  assert.deepEqual(readReferenceData(path, LABELS, { textsPerRequest: 2 }).requests, [2, 1]);
  assert.deepEqual(readReferenceData(path, LABELS, { textsPerRequest: 1 }).requests, [1, 1, 1]);
  const singles = write('singles.jsonl', '{"text": "good"}\n{"text": "bad"}\n');
  assert.equal(readReferenceData(singles, LABELS).requests, undefined);
  const unlabelled = write('plain.tsv', 'text\nfirst\nsecond\n');
  assert.deepEqual(readReferenceData(unlabelled, LABELS).labels, undefined);
});

test('reference data: JSONL, labels by name in any case, a list of texts is one request', () => {
  const path = write(
    'small.jsonl',
    [
      JSON.stringify({ review: 'good', sentiment: 'positive' }),
      JSON.stringify({ review: ['bad', 'awful'], sentiment: ['NEGATIVE', 0] }),
      '',
    ].join('\n'),
  );
  assert.deepEqual(readReferenceData(path, LABELS, { text: 'review', label: 'sentiment' }), {
    texts: ['good', 'bad', 'awful'],
    requests: [1, 2],
    labels: [1, 0, 0],
  });
});

test('reference data: faults name the file and line', () => {
  const cases: [string, string, RegExp][] = [
    [
      'label.tsv',
      'sentence\tlabel\nok\t7\n',
      /label\.tsv:2: label "7" is none of NEGATIVE, POSITIVE/,
    ],
    ['cols.tsv', 'sentence\tlabel\nok\n', /cols\.tsv:2: 1 columns, the header has 2/],
    ['notext.tsv', 'review\tlabel\nok\t1\n', /no text column "sentence" or "text".*--text-column/],
    ['bad.jsonl', '{"text": "a"}\n{"text": \n', /bad\.jsonl:2: /],
    ['array.jsonl', '[1, 2]\n', /array\.jsonl:1: each line must be a JSON object/],
    ['empty.tsv', 'sentence\tlabel\n', /holds no rows/],
  ];
  for (const [name, content, message] of cases)
    assert.throws(
      () => readReferenceData(write(name, content), LABELS),
      (error: unknown) => error instanceof ReferenceDataError && message.test(error.message),
      name,
    );
});
