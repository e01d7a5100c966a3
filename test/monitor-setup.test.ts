import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadConfig } from '../src/config.js';
import { FeatureVectors } from '../src/engine/feature-vectors.js';
import { ModelTokenizer } from '../src/engine/tokenizer.js';
import { ConfigError } from '../src/errors.js';
import { openMonitor } from '../src/monitor-setup.js';
import { buildProfile } from '../src/monitoring/build-profile.js';
import { describePrediction, describeText } from '../src/monitoring/descriptors.js';
import { project } from '../src/monitoring/projection.js';
import { TEXT_FEATURES } from '../src/monitoring/types.js';
import { resolveModel } from '../src/model/resolve.js';
import { startTestApp } from './helper.js';

const config = loadConfig({ LOG_LEVEL: 'silent' });
const model = await resolveModel(config, () => undefined);
const tokenizer = ModelTokenizer.fromModelFiles(model.files, model.config.maxPositions);

/** A profile with a projection of made-up 4-wide representations, over real descriptors. */
function profileWithProjection() {
  const texts = Array.from({ length: 30 }, (_, i) => `a review of ${i} words or so`);
  const vectors = texts.map((text, i) => [
    ...describeText(text, tokenizer.encodeMeasured(text), tokenizer.unknownId),
    ...describePrediction([i / 30, 1 - i / 30], 1),
  ]);
  return buildProfile({
    data: 'reviews',
    labels: model.config.labels,
    positiveId: 1,
    vectors,
    representations: texts.map((_, i) => [i, i % 3, (i * 7) % 5, 1]),
    components: 2,
    textsPerRequest: [10, 10, 10],
  });
}

test("a computed text's vector: its descriptors, its prediction's, then its projection", () => {
  const profile = profileWithProjection();
  const projection = profile.projection as NonNullable<typeof profile.projection>;
  const features = new FeatureVectors({
    unknownId: tokenizer.unknownId,
    positiveId: 1,
    projection,
  });
  assert.equal(features.length, TEXT_FEATURES.length + 2);
  const text = 'An UNUSUAL text, café';
  const measured = tokenizer.encodeMeasured(text);
  const representation = Float32Array.from([3, 1, 4, 1]);
  const vector = features.complete(features.ofText(text, measured), [0.2, 0.8], representation);
  assert.deepEqual(vector, [
    ...describeText(text, measured, tokenizer.unknownId),
    ...describePrediction([0.2, 0.8], 1),
    ...project(representation, projection),
  ]);
  assert.throws(() => features.complete(features.ofText(text, measured), [0.2, 0.8], undefined));
});

test('a projection the graph cannot feed is left out, with a warning; the cache scope names the layout', () => {
  const profile = profileWithProjection();
  const reference = { profile, path: '/somewhere/reference-profile.json' };
  const withIt = openMonitor(config, {
    model,
    tokenizer,
    reference,
    graph: { representation: true },
  });
  assert.equal(withIt.warning, undefined);
  assert.equal(withIt.features.length, TEXT_FEATURES.length + 2);
  assert.ok(withIt.featureNames.includes('representation_pc2'));
  const without = openMonitor(config, {
    model,
    tokenizer,
    reference,
    graph: { representation: false },
  });
  assert.match(without.warning ?? '', /cls_representation/);
  assert.equal(without.features.length, TEXT_FEATURES.length);
  assert.ok(!without.featureNames.some((name) => name.startsWith('representation_')));
  assert.ok(!without.monitor.report().features.some((f) => f.name.startsWith('representation_')));
  assert.notEqual(withIt.cacheScope, without.cacheScope, 'entries of either layout never mix');
  const traffic = openMonitor(config, {
    model,
    tokenizer,
    reference: undefined,
    graph: { representation: true },
  });
  assert.equal(traffic.cacheScope, without.cacheScope, 'the same layout, the same scope');
});

test('a bad MONITOR_REFERENCE stops the start with a ConfigError naming the file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'profile-'));
  const missing = join(dir, 'none.json');
  await assert.rejects(
    startTestApp({ MONITOR_REFERENCE: missing }),
    (error: unknown) => error instanceof ConfigError && error.message.includes(missing),
  );
  const other = join(dir, 'other-labels.json');
  writeFileSync(
    other,
    JSON.stringify({ ...profileWithProjection(), labels: ['bad', 'good'], positiveLabel: 'good' }),
  );
  await assert.rejects(
    startTestApp({ MONITOR_REFERENCE: other }),
    (error: unknown) =>
      error instanceof ConfigError &&
      /labels bad, good, not NEGATIVE, POSITIVE/.test(error.message),
  );
  // MONITOR=0 reads no profile at all.
  const off = await startTestApp({ MONITOR: '0', MONITOR_REFERENCE: missing });
  await off.close();
});
