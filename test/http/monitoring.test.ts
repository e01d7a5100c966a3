import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { FeatureVectors } from '../../src/engine/feature-vectors.js';
import { ModelTokenizer } from '../../src/engine/tokenizer.js';
import { buildProfile } from '../../src/monitoring/build-profile.js';
import { positiveClassId } from '../../src/monitoring/descriptors.js';
import type { MonitoringReport } from '../../src/monitoring/report.js';
import { REQUEST_FEATURE, TEXT_FEATURES } from '../../src/monitoring/types.js';
import { build, counter, type TestApp } from '../helper.js';

/** Distinct short reviews, `count` of them from `from`. */
const reviews = (count: number, from = 0): string[] =>
  Array.from({ length: count }, (_, i) => `review ${from + i}: the acting was rather fine`);

const predict = (t: TestApp, text: string[]) =>
  t.app.inject({ method: 'POST', url: '/predict', payload: { text } });

async function report(t: TestApp, query = ''): Promise<MonitoringReport> {
  const res = await t.app.inject({ method: 'GET', url: `/monitoring${query}` });
  assert.equal(res.statusCode, 200, res.body);
  return res.json<MonitoringReport>();
}

/** Sends `texts` in requests of `per` texts, each answered 200. */
async function send(t: TestApp, texts: readonly string[], per = 10): Promise<void> {
  for (let i = 0; i < texts.length; i += per) {
    const res = await predict(t, texts.slice(i, i + per));
    assert.equal(res.statusCode, 200, res.body);
  }
}

/** The first traffic as the reference, small so a test gets past it quickly. */
const TRAFFIC = { MONITOR_REFERENCE: 'traffic', MONITOR_REFERENCE_SIZE: '20' };

test('a cache hit is observed like a computed text, without tokenizing or computing it again', async (t) => {
  const app = await build(t, { ...TRAFFIC, CACHE_HITS_HEADER: '1' });
  await send(app, reviews(20)); // the reference
  const texts = reviews(30, 100);
  await send(app, texts);
  const computed = await counter(app.metrics, 'sentiment_computed_texts_total');
  const tokenized = await sample(app, 'sentiment_tokenize_duration_seconds_count');
  const first = await report(app);
  assert.equal(first.window.texts, 30);
  const again = await predict(app, texts.slice(0, 10));
  assert.equal(again.headers['x-cache-hits'], '10');
  await send(app, texts.slice(10));
  const second = await report(app);
  assert.equal(second.window.texts, 60, 'the hits count as traffic');
  assert.equal(second.window.requests, first.window.requests + 3);
  assert.equal(await counter(app.metrics, 'sentiment_computed_texts_total'), computed);
  assert.equal(
    await sample(app, 'sentiment_tokenize_duration_seconds_count'),
    tokenized,
    'nothing tokenized again',
  );
  // The replayed vectors are the computed ones: every feature's histogram doubled exactly.
  const bins = await binCounts(app);
  for (const [feature, counts] of bins) {
    if (feature === REQUEST_FEATURE) continue;
    const total = counts.reduce((a, b) => a + b, 0);
    assert.equal(total, 60, feature);
  }
});

/** One unlabelled sample of /metrics. */
async function sample(t: TestApp, name: string): Promise<number> {
  const res = await t.app.inject({ method: 'GET', url: '/metrics' });
  const match = new RegExp(`^${name} (\\S+)$`, 'm').exec(res.body);
  assert.ok(match, `${name} in /metrics`);
  return Number(match[1]);
}

/** `sentiment_monitor_bin_texts_total` as feature → counts per bin, from /metrics. */
async function binCounts(t: TestApp): Promise<Map<string, number[]>> {
  const res = await t.app.inject({ method: 'GET', url: '/metrics' });
  const bins = new Map<string, number[]>();
  for (const [, feature, bin, value] of res.body.matchAll(
    /^sentiment_monitor_bin_texts_total\{feature="([^"]+)",bin="(\d+)"\} (\S+)$/gm,
  )) {
    const counts = bins.get(feature as string) ?? [];
    counts[Number(bin)] = Number(value);
    bins.set(feature as string, counts);
  }
  return bins;
}

test('/monitoring and /feedback refuse bad input in the detail shape, and record nothing', async (t) => {
  const app = await build(t, TRAFFIC);
  await send(app, reviews(40));
  const before = await report(app);
  const cases: [string, string, unknown, number, string][] = [
    ['GET', '/monitoring?feature=nope', undefined, 422, 'literal_error'],
    ['GET', '/monitoring?page=2', undefined, 422, 'extra_forbidden'],
    ['POST', '/feedback', { items: [{ text: 'fine', label: 'GOOD' }] }, 422, 'literal_error'],
    ['POST', '/feedback', { items: [{ text: 'fine', label_id: 2 }] }, 422, 'less_than_equal'],
    ['POST', '/feedback', { items: [{ text: 'fine', label_id: -1 }] }, 422, 'greater_than_equal'],
    ['POST', '/feedback', { items: [{ text: 'fine', label_id: 0.5 }] }, 422, 'int_type'],
    ['POST', '/feedback', { items: [{ text: 'fine' }] }, 422, 'missing'],
    [
      'POST',
      '/feedback',
      { items: [{ text: 'fine', label: 'POSITIVE', label_id: 1 }] },
      422,
      'value_error',
    ],
    ['POST', '/feedback', { items: [{ text: 3, label: 'POSITIVE' }] }, 422, 'string_type'],
    [
      'POST',
      '/feedback',
      { items: [{ text: 'a', label: 'POSITIVE', score: 1 }] },
      422,
      'extra_forbidden',
    ],
    ['POST', '/feedback', { text: ['fine'] }, 422, 'missing'],
    ['POST', '/feedback', '{"items": [', 422, 'json_invalid'],
    [
      'POST',
      '/feedback',
      { items: Array.from({ length: 257 }, () => ({ text: 'a', label: 'POSITIVE' })) },
      413,
      'too_long',
    ],
  ];
  for (const [method, url, payload, status, type] of cases) {
    const res = await app.app.inject({
      method: method as 'GET' | 'POST',
      url,
      ...(payload === undefined
        ? {}
        : typeof payload === 'string'
          ? { payload, headers: { 'content-type': 'application/json' } }
          : { payload: payload as object }),
    });
    assert.equal(res.statusCode, status, `${url} ${JSON.stringify(payload)}: ${res.body}`);
    const { detail } = res.json<{ detail: { type: string; loc: unknown[]; msg: string }[] }>();
    assert.ok(
      detail.some((item) => item.type === type),
      `${url} ${JSON.stringify(payload)}: ${res.body}`,
    );
  }
  // The unknown label's message names the model's labels; the location names the item.
  const label = await app.app.inject({
    method: 'POST',
    url: '/feedback',
    payload: {
      items: [
        { text: 'fine', label: 'POSITIVE' },
        { text: 'x', label: 'positive' },
      ],
    },
  });
  assert.deepEqual(label.json().detail[0].loc, ['body', 'items', 1, 'label']);
  assert.equal(label.json().detail[0].msg, "Input should be 'NEGATIVE' or 'POSITIVE'");
  const feature = await app.app.inject({ method: 'GET', url: '/monitoring?feature=colour' });
  assert.deepEqual(feature.json().detail[0].loc, ['query', 'feature']);
  for (const name of [...TEXT_FEATURES, REQUEST_FEATURE])
    assert.match(feature.json().detail[0].msg, new RegExp(`'${name}'`));

  const after = await report(app);
  assert.equal(after.accuracy.outcomesSeen, 0, 'no outcome recorded, not even the valid item');
  assert.equal(after.window.textsSeen, before.window.textsSeen);
  assert.equal(
    await counter(app.metrics, 'sentiment_monitor_feedback_total'),
    0,
    'no outcome exported',
  );
});

test('?feature= keeps that feature of the report', async (t) => {
  const app = await build(t, TRAFFIC);
  await send(app, reviews(40));
  const whole = await report(app);
  assert.deepEqual(
    whole.features.map((feature) => feature.name),
    [...TEXT_FEATURES, REQUEST_FEATURE],
  );
  const one = await report(app, '?feature=confidence');
  assert.deepEqual(
    one.features.map((feature) => feature.name),
    ['confidence'],
  );
  assert.equal(one.window.texts, whole.window.texts);
});

test('POST /feedback: outcomes of what the service predicts, not traffic; the labels as names or ids', async (t) => {
  const app = await build(t, TRAFFIC);
  const res = await app.app.inject({
    method: 'POST',
    url: '/feedback',
    payload: {
      items: [
        { text: 'I love you.', label: 'POSITIVE' },
        { text: 'I hate you.', label_id: 1 },
      ],
    },
  });
  assert.equal(res.statusCode, 200, res.body);
  const predicted = (await predict(app, ['I love you.', 'I hate you.'])).json<{
    predictions: { label: string; score: number }[][];
  }>();
  const top = predicted.predictions.map(
    (scores) => scores.reduce((a, b) => (b.score > a.score ? b : a)).label,
  );
  assert.deepEqual(res.json(), {
    recorded: 2,
    outcomes: [
      { predicted: top[0], actual: 'POSITIVE', correct: top[0] === 'POSITIVE' },
      { predicted: top[1], actual: 'POSITIVE', correct: top[1] === 'POSITIVE' },
    ],
  });
  const after = await report(app);
  assert.equal(after.accuracy.outcomes, 2);
  assert.equal(after.reference.texts, 2, 'only the /predict texts, not the feedback, were traffic');
  assert.equal(
    await counter(app.metrics, 'sentiment_monitor_feedback_total', {
      predicted: top[1] as string,
      actual: 'POSITIVE',
    }),
    top[0] === top[1] ? 2 : 1,
  );
});

test('MONITOR=0: no feature, no window; /monitoring and /feedback answer 404 monitor_off', async (t) => {
  const app = await build(t, { MONITOR: '0' });
  assert.equal(app.monitor, undefined);
  assert.equal((await predict(app, reviews(3))).statusCode, 200);
  for (const [method, url] of [
    ['GET', '/monitoring'],
    ['GET', '/monitoring?feature=nope'],
    ['POST', '/feedback'],
  ] as const) {
    const res = await app.app.inject({
      method,
      url,
      ...(method === 'POST' ? { payload: { items: [{ text: 'x', label: 'NOPE' }] } } : {}),
    });
    assert.equal(res.statusCode, 404, url);
    assert.equal(res.json().detail[0].type, 'monitor_off', url);
  }
  const metrics = await app.app.inject({ method: 'GET', url: '/metrics' });
  assert.doesNotMatch(metrics.body, /sentiment_monitor_/);
});

test('the OpenAPI document describes both routes and the report', async (t) => {
  const app = await build(t, TRAFFIC);
  const doc = (await app.app.inject({ method: 'GET', url: '/openapi.json' })).json();
  const get = doc.paths['/monitoring'].get;
  assert.deepEqual(get.tags, ['monitoring']);
  const schema = JSON.stringify(get.responses['200']);
  for (const field of ['status', 'reasons', 'reference', 'window', 'features', 'accuracy'])
    assert.match(schema, new RegExp(`"${field}"`));
  assert.ok(get.parameters.some((p: { name: string }) => p.name === 'feature'));
  const post = doc.paths['/feedback'].post;
  assert.match(JSON.stringify(post.requestBody), /label_id/);
  assert.ok(post.responses['404'] && post.responses['422']);
});

test('/metrics exports every bin of every feature from the first scrape, zeros included', async (t) => {
  // A profile of real features (the tokenizer's measurements, the model's scores), built as
  // `sentiment-api profile` builds one: the service that loads it must export all its bins
  // before it has seen one text.
  const scorer = await build(t, { MONITOR: '0' });
  const texts = reviews(40);
  const { predictions } = (await predict(scorer, texts)).json<{
    predictions: { score: number }[][];
  }>();
  const { files, config } = scorer.model;
  const tokenizer = ModelTokenizer.fromModelFiles(files, config.maxPositions);
  const positiveId = positiveClassId(config.labels);
  const features = new FeatureVectors({
    unknownId: tokenizer.unknownId,
    positiveId,
    projection: undefined,
  });
  const vectors = texts.map((text, i) =>
    features.complete(
      features.ofText(text, tokenizer.encodeMeasured(text)),
      (predictions[i] ?? []).map(({ score }) => score),
      undefined,
    ),
  );
  const profile = buildProfile({
    data: 'reviews',
    labels: config.labels,
    positiveId,
    vectors,
    textsPerRequest: [10, 10, 10, 10],
  });
  const path = join(mkdtempSync(join(tmpdir(), 'profile-')), 'reference-profile.json');
  writeFileSync(path, JSON.stringify(profile));

  const app = await build(t, { MONITOR_REFERENCE: path });
  const bins = await binCounts(app);
  assert.deepEqual([...bins.keys()], [...TEXT_FEATURES, REQUEST_FEATURE]);
  for (const [feature, counts] of bins) {
    assert.equal(counts.length, (profile.features[feature]?.edges.length ?? 0) + 1, feature);
    assert.ok(
      counts.every((count) => count === 0),
      feature,
    );
  }
  const metrics = (await app.app.inject({ method: 'GET', url: '/metrics' })).body;
  for (const line of [
    'sentiment_monitor_psi_threshold{level="warning"} 0.1',
    'sentiment_monitor_psi_threshold{level="alert"} 0.25',
    'sentiment_monitor_status{status="warming_up"} 1',
    'sentiment_monitor_status{status="ok"} 0',
    'sentiment_monitor_window_texts 0',
    'sentiment_monitor_accuracy_floor 0.75',
    'sentiment_monitor_feedback_outcomes 0',
    'sentiment_monitor_retrain 0',
    'sentiment_monitor_feedback_total{predicted="NEGATIVE",actual="POSITIVE"} 0',
    'sentiment_monitor_feature_status{feature="confidence"} -1',
  ])
    assert.ok(metrics.includes(`${line}\n`), line);
  const shares = [
    ...metrics.matchAll(
      /^sentiment_monitor_reference_share\{feature="confidence",bin="\d+"\} (\S+)$/gm,
    ),
  ];
  assert.deepEqual(
    shares.map(([, share]) => Number(share)),
    profile.features.confidence?.shares,
  );
  assert.doesNotMatch(
    metrics,
    /sentiment_monitor_accuracy\{source="live"\}/,
    'absent while unknown',
  );
  await send(app, texts);
  const after = await binCounts(app);
  assert.equal(
    after.get('confidence')?.reduce((a, b) => a + b, 0),
    40,
  );
  assert.equal(after.get(REQUEST_FEATURE)?.[0] !== undefined, true);
  assert.equal(
    after.get(REQUEST_FEATURE)?.reduce((a, b) => a + b, 0),
    4,
  );
  // The same texts as the profile's: every bin holds what the reference says it holds.
  for (const [feature, counts] of after) {
    const expected = (profile.features[feature]?.shares ?? []).map((share) =>
      Math.round(share * (feature === REQUEST_FEATURE ? 4 : 40)),
    );
    assert.deepEqual(counts, expected, feature);
  }
});

test('both routes are model routes: the API key, the rate limit and the origin guard apply', async (t) => {
  const key = 'monitoring-test-key-0123';
  const app = await build(t, {
    ...TRAFFIC,
    API_KEYS_SHA256: createHash('sha256').update(key).digest('hex'),
    RATE_LIMIT_PER_MINUTE: '3',
  });
  const feedback = { items: [{ text: 'fine', label: 'POSITIVE' }] };
  const ask = (url: string, headers: Record<string, string> = {}) =>
    app.app.inject({
      method: url === '/feedback' ? 'POST' : 'GET',
      url,
      headers,
      ...(url === '/feedback' ? { payload: feedback } : {}),
    });
  for (const url of ['/monitoring', '/feedback']) {
    const res = await ask(url);
    assert.equal(res.statusCode, 401, url);
    assert.equal(res.json().detail[0].type, 'unauthorized');
    const foreign = await ask(url, {
      authorization: `Bearer ${key}`,
      origin: 'https://elsewhere.example',
      'sec-fetch-site': 'cross-site',
    });
    assert.equal(foreign.statusCode, 403, url);
  }
  const bearer = { authorization: `Bearer ${key}` };
  assert.equal((await ask('/monitoring', bearer)).statusCode, 200);
  assert.equal((await ask('/feedback', bearer)).statusCode, 200);
  assert.equal((await ask('/monitoring', bearer)).statusCode, 200);
  const limited = await ask('/feedback', bearer);
  assert.equal(limited.statusCode, 429);
  assert.equal(limited.json().detail[0].type, 'rate_limited');
  assert.equal(
    app.monitor?.report().accuracy.outcomesSeen,
    1,
    'the refused feedback recorded nothing',
  );
});
