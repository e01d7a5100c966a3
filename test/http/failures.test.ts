import assert from 'node:assert/strict';
import { describe, test, type TestContext } from 'node:test';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import type { TextClassifier } from '../../src/engine/classifier.js';
import { ModelFailedError, OverloadedError } from '../../src/errors.js';
import { Metrics } from '../../src/metrics.js';

type Detail = { detail: { loc: unknown[]; msg: string; type: string }[] };

/** The real app (routes, schemas, error handler) in front of a classifier that throws `error`. */
async function appFailingWith(t: TestContext, error: unknown) {
  const classifier: TextClassifier = {
    classify: () => Promise.reject(error),
  };
  const app = await buildApp(loadConfig({}), {
    classifier,
    labels: ['NEGATIVE', 'POSITIVE'],
    metrics: new Metrics(),
    logger: false,
  });
  t.after(() => app.close());
  return app.inject({ method: 'POST', url: '/predict', payload: { text: ['a'] } });
}

describe('failures below HTTP map to stable codes (fake classifier)', () => {
  test('a model failure → 500 model_failed, with its message', async (t) => {
    const res = await appFailingWith(t, new ModelFailedError('inference failed: out of memory'));
    assert.equal(res.statusCode, 500);
    assert.deepEqual(res.json<Detail>().detail, [
      { type: 'model_failed', loc: [], msg: 'inference failed: out of memory' },
    ]);
  });

  test('an unknown error → 500 internal_error, nothing of it leaked', async (t) => {
    const secret = new Error('ENOENT: /srv/secret/weights.bin');
    const res = await appFailingWith(t, secret);
    assert.equal(res.statusCode, 500);
    assert.deepEqual(res.json<Detail>().detail, [
      { type: 'internal_error', loc: [], msg: 'Internal Server Error' },
    ]);
    assert.doesNotMatch(res.body, /secret|ENOENT|at /);
  });

  test("an engine refusal carries the catalogue's status and its headers", async (t) => {
    const res = await appFailingWith(t, new OverloadedError(3));
    assert.equal(res.statusCode, 429);
    assert.equal(res.headers['retry-after'], '3');
    assert.equal(res.json<Detail>().detail[0]?.type, 'overloaded');
  });
});
