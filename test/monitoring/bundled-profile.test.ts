/**
 * The bundled model's committed profile: it loads, it belongs to the graph that is bundled
 * now (a re-converted graph must come with a regenerated profile:
 * `sentiment-api profile --data ../shared/data/sst2/dev.tsv`), and it says what the model card
 * says of SST-2 dev.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { BUNDLED_MODEL_DIR } from '../../src/config.js';
import { modelFingerprint } from '../../src/model/fingerprint.js';
import { resolveModelFiles } from '../../src/model/model-files.js';
import { defaultProfilePath, loadProfile, profileFeatures } from '../../src/monitoring/profile.js';
import { representationFeature } from '../../src/monitoring/types.js';

const path = defaultProfilePath(BUNDLED_MODEL_DIR);

test('the bundled profile loads and was built on the bundled graph', async () => {
  const profile = loadProfile(path);
  const files = resolveModelFiles(BUNDLED_MODEL_DIR, 'fp32');
  assert.equal(
    profile.source.model,
    await modelFingerprint(files),
    'the graph changed since the profile was built: regenerate it (sentiment-api profile)',
  );
  const config = JSON.parse(readFileSync(files.configPath, 'utf8')) as {
    id2label: Record<string, string>;
  };
  assert.deepEqual(profile.labels, Object.values(config.id2label));
  assert.equal(profile.positiveLabel, 'POSITIVE');
});

test('it describes SST-2 dev: 872 texts, the accuracy of the model card, three components', () => {
  const profile = loadProfile(path);
  assert.equal(profile.source.data, 'dev.tsv');
  assert.equal(profile.source.texts, 872);
  assert.ok(Math.abs((profile.metrics?.accuracy as number) - 0.814) < 0.001);
  assert.equal(profile.calibration.method, 'reference_accuracy');
  assert.equal(profile.projection?.components.length, 3);
  assert.equal(profile.projection?.mean.length, 128);
  assert.ok(profileFeatures(profile).includes(representationFeature(3)));
  // Quantile bins: every bin of a continuous feature holds about a tenth of the texts.
  for (const name of ['confidence', 'margin', representationFeature(1)]) {
    const shares = profile.features[name]?.shares ?? [];
    assert.equal(shares.length, 10, name);
    for (const share of shares) assert.ok(share > 0.08 && share < 0.12, `${name}: ${share}`);
  }
});
