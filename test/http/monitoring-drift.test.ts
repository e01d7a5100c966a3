import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { shared, skipWithoutShared } from '../../devkit/shared-data.js';
import { readSst2, SST2_DEV } from '../../devkit/sst2-sentences.js';
import type { MonitoringReport } from '../../src/monitoring/report.js';
import { build, type TestApp } from '../helper.js';

/**
 * The monitor through the real service and model, at the default window sizes
 * (MONITOR_REFERENCE_SIZE 500, MONITOR_MIN_TEXTS 200, MONITOR_CONSECUTIVE 3, the PSI bands):
 * the first 500 texts of a shuffled SST-2 dev become the reference (MONITOR_REFERENCE=traffic,
 * so the test does not depend on which profile the bundled model ships), then a stream
 * follows. In distribution (the rest of dev) nothing may cry wolf; questions instead of
 * reviews, or only negative reviews, must drive the features they move to drift or alert.
 */

const SQUAD = shared(
  'data',
  'distilbert-base-uncased',
  'fixtures',
  'squad_dev_v1.1_questions_bert_uncased_ids.jsonl',
);

/** A seeded shuffle (mulberry32), so a failure is reproducible. */
function shuffled<T>(items: readonly T[], seed: number): T[] {
  let state = seed >>> 0;
  const random = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let x = Math.imul(state ^ (state >>> 15), 1 | state);
    x ^= x + Math.imul(x ^ (x >>> 7), 61 | x);
    return ((x ^ (x >>> 14)) >>> 0) / 2 ** 32;
  };
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

/** Texts sent per request, the same for the reference and every stream. */
const PER_REQUEST = 8;

async function send(t: TestApp, texts: readonly string[]): Promise<void> {
  for (let i = 0; i < texts.length; i += PER_REQUEST) {
    const res = await t.app.inject({
      method: 'POST',
      url: '/predict',
      payload: { text: texts.slice(i, i + PER_REQUEST) },
    });
    assert.equal(res.statusCode, 200, res.body);
  }
}

async function report(t: TestApp): Promise<MonitoringReport> {
  return (await t.app.inject({ method: 'GET', url: '/monitoring' })).json<MonitoringReport>();
}

/** Feature name → status, for the assertion messages. */
const statuses = (r: MonitoringReport) =>
  Object.fromEntries(r.features.map((f) => [f.name, `${f.status} psi=${f.psi?.toFixed(3)}`]));

describe(
  'drift through the service, default window sizes',
  { skip: skipWithoutShared('data', 'sst2', 'dev.tsv') },
  () => {
    const dev = shuffled(readSst2(SST2_DEV), 12);
    const reference = dev.slice(0, 500).map((row) => row.sentence);
    const rest = dev.slice(500);

    test('an in-distribution stream (the rest of SST-2 dev, shuffled) stays ok', async (t) => {
      const app = await build(t, { MONITOR_REFERENCE: 'traffic' });
      await send(app, reference);
      const learnt = await report(app);
      assert.equal(learnt.reference.source, 'first_traffic');
      assert.equal(learnt.reference.ready, true);
      await send(
        app,
        rest.map((row) => row.sentence),
      );
      const r = await report(app);
      assert.equal(r.window.texts, rest.length);
      assert.equal(r.status, 'ok', JSON.stringify({ messages: r.messages, ...statuses(r) }));
      assert.deepEqual(r.reasons, []);
      for (const feature of r.features) {
        // texts_per_request counts requests: 47 of them, fewer than MONITOR_MIN_TEXTS.
        const expected = feature.name === 'texts_per_request' ? 'warming_up' : 'ok';
        assert.equal(feature.status, expected, feature.name);
      }
    });

    test('only negative reviews: the positive rate and confidence move, the input descriptors do not', async (t) => {
      const app = await build(t, { MONITOR_REFERENCE: 'traffic' });
      await send(app, reference);
      // All of dev's negative reviews, those of the reference too (sent again: cache hits).
      const negative = dev.filter((row) => row.label === 0).map((row) => row.sentence);
      assert.ok(negative.length >= 300);
      await send(app, negative);
      const r = await report(app);
      const positive = r.features.find((f) => f.name === 'positive');
      assert.ok(
        positive?.status === 'drift' || positive?.status === 'alert',
        JSON.stringify(statuses(r)),
      );
      assert.ok(r.status === 'drift' || r.status === 'alert', r.status);
      assert.ok(r.reasons.includes('drift'));
      for (const name of ['wordpieces', 'non_ascii_share', 'unknown_share']) {
        const feature = r.features.find((f) => f.name === name);
        assert.equal(feature?.status, 'ok', `${name}: ${JSON.stringify(statuses(r))}`);
      }
    });

    test(
      'questions instead of reviews (SQuAD): case and length move to alert',
      {
        skip: skipWithoutShared(
          'data',
          'distilbert-base-uncased',
          'fixtures',
          'squad_dev_v1.1_questions_bert_uncased_ids.jsonl',
        ),
      },
      async (t) => {
        const app = await build(t, { MONITOR_REFERENCE: 'traffic' });
        await send(app, reference);
        const questions = readFileSync(SQUAD, 'utf8')
          .split('\n')
          .filter((line) => line !== '')
          .slice(0, 400)
          .map((line) => (JSON.parse(line) as { text: string }).text);
        await send(app, questions);
        const r = await report(app);
        assert.equal(r.status, 'alert', JSON.stringify(statuses(r)));
        assert.ok(r.reasons.includes('retraining_candidate'), JSON.stringify(r.reasons));
        // SST-2 is lower-cased; questions start with a capital and name things.
        const upper = r.features.find((f) => f.name === 'upper_share');
        assert.equal(upper?.status, 'alert', JSON.stringify(statuses(r)));
        assert.ok((upper?.psi ?? 0) > 0.25);
        assert.ok(r.messages.some((line) => line.includes('upper_share')));
        // The Prometheus view says the same.
        const metrics = (await app.app.inject({ method: 'GET', url: '/metrics' })).body;
        assert.ok(metrics.includes('sentiment_monitor_feature_status{feature="upper_share"} 2\n'));
        assert.ok(metrics.includes('sentiment_monitor_status{status="alert"} 1\n'));
      },
    );
  },
);

describe(
  "drift against the bundled model's shipped profile (the default)",
  { skip: skipWithoutShared('data', 'sst2', 'dev.tsv') },
  () => {
    // The profile was built one text per request (a TSV has no requests): send them so.
    const sendOneByOne = async (t: TestApp, texts: readonly string[]) => {
      for (const text of texts) {
        const res = await t.app.inject({
          method: 'POST',
          url: '/predict',
          payload: { text: [text] },
        });
        assert.equal(res.statusCode, 200, res.body);
      }
    };

    test(
      'SST-2 dev, shuffled, stays ok; SQuAD questions alert, the [CLS] projection among them',
      {
        skip: skipWithoutShared(
          'data',
          'distilbert-base-uncased',
          'fixtures',
          'squad_dev_v1.1_questions_bert_uncased_ids.jsonl',
        ),
      },
      async (t) => {
        const app = await build(t);
        const first = await report(app);
        assert.equal(first.reference.source, 'profile');
        assert.ok(
          first.features.some((f) => f.name === 'representation_pc1'),
          'the projection is watched',
        );
        await sendOneByOne(
          app,
          shuffled(readSst2(SST2_DEV), 7)
            .slice(0, 400)
            .map((row) => row.sentence),
        );
        const calm = await report(app);
        assert.equal(
          calm.status,
          'ok',
          JSON.stringify({ messages: calm.messages, ...statuses(calm) }),
        );

        const questions = readFileSync(SQUAD, 'utf8')
          .split('\n')
          .filter((line) => line !== '')
          .slice(0, 5000)
          .map((line) => (JSON.parse(line) as { text: string }).text);
        // A fresh replica, so the window holds questions only.
        const shifted = await build(t);
        await sendOneByOne(shifted, questions.slice(0, 400));
        const r = await report(shifted);
        assert.equal(r.status, 'alert', JSON.stringify(statuses(r)));
        const alerted = r.features.filter((f) => f.status === 'alert').map((f) => f.name);
        assert.ok(alerted.includes('upper_share'), alerted.join());
        assert.ok(
          alerted.some((name) => name.startsWith('representation_pc')),
          alerted.join(),
        );
      },
    );
  },
);
