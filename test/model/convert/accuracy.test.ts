import assert from 'node:assert/strict';
import { test } from 'node:test';
import { measureSst2Accuracy } from '../../../devkit/sst2-accuracy.js';
import { shared, skipWithoutShared } from '../../../devkit/shared-data.js';

const skip =
  skipWithoutShared('models', 'sst2-tiny-distilbert', 'model.safetensors') ||
  skipWithoutShared('data', 'sst2', 'dev.tsv');

test(
  'converted graphs keep SST-2 dev accuracy: fp32 at the reference 81.42%, int8 within a point and ≥ 99% agreement',
  { skip },
  async () => {
    const results = await measureSst2Accuracy(
      shared('models', 'sst2-tiny-distilbert'),
      shared('data', 'sst2', 'dev.tsv'),
    );
    const [fp32, ...others] = results;
    // transformers' own accuracy for this checkpoint (its README): 710 / 872.
    assert.equal(Math.round(fp32!.accuracy * 872), 710);
    for (const variant of others) {
      const name = variant.name;
      if (variant.graph.int8) {
        assert.ok(
          Math.abs(variant.accuracy - fp32!.accuracy) <= 0.01,
          `${name}: ${variant.accuracy} vs ${fp32!.accuracy}`,
        );
        assert.ok(variant.agreement >= 0.99, `${name}: agreement ${variant.agreement}`);
      } else {
        assert.equal(variant.agreement, 1, `${name} flips labels`);
        assert.ok(variant.maxLogitDiff < 1e-3, `${name}: max logit diff ${variant.maxLogitDiff}`);
      }
    }
  },
);
