import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { splitWords, withoutWord } from '../../src/engine/explain.js';
import { build, counter, startTestApp, type TestApp } from '../helper.js';

type LabelScore = { label: string; score: number };
interface Word {
  word: string;
  start: number;
  end: number;
  contributions: Record<string, number>;
}
interface Explanation {
  prediction: LabelScore[];
  words: Word[];
  total_words: number;
  truncated: boolean;
}
type ExplainBody = { method: string; explanations: Explanation[] };

const post = (t: TestApp, url: string, body: unknown) =>
  t.app.inject({
    method: 'POST',
    url,
    headers: { 'content-type': 'application/json' },
    payload: JSON.stringify(body),
  });

async function explain(t: TestApp, texts: string[]): Promise<Explanation[]> {
  const res = await post(t, '/explain', { text: texts });
  assert.equal(res.statusCode, 200, res.body);
  const body = res.json<ExplainBody>();
  assert.equal(body.method, 'occlusion');
  return body.explanations;
}

async function predict(t: TestApp, texts: string[]): Promise<LabelScore[][]> {
  const res = await post(t, '/predict', { text: texts });
  assert.equal(res.statusCode, 200, res.body);
  return res.json<{ predictions: LabelScore[][] }>().predictions;
}

const score = (row: LabelScore[], label: string) =>
  (row.find((entry) => entry.label === label) as LabelScore).score;
const top = (row: LabelScore[]) => row.reduce((a, b) => (b.score > a.score ? b : a)).label;
/** The words ranked by how much they raised the predicted class. */
const ranked = (e: Explanation) => {
  const label = top(e.prediction);
  return [...e.words].sort((a, b) => (b.contributions[label] ?? 0) - (a.contributions[label] ?? 0));
};

/** SST-2-like vocabulary: words that carry sentiment and words that do not. */
const SENTIMENT = [
  'good',
  'bad',
  'great',
  'awful',
  'boring',
  'brilliant',
  'dull',
  'funny',
  'terrible',
  'wonderful',
  'hate',
  'love',
];
const NEUTRAL = [
  'the',
  'film',
  'movie',
  'a',
  'this',
  'is',
  'acting',
  'plot',
  'story',
  'was',
  'and',
  'very',
];
const shortText = fc
  .record({
    words: fc.array(fc.constantFrom(...SENTIMENT, ...NEUTRAL), { minLength: 1, maxLength: 6 }),
    gaps: fc.array(fc.constantFrom(' ', '  ', '\t', ' \n'), { minLength: 6, maxLength: 6 }),
    lead: fc.constantFrom('', ' '),
    end: fc.constantFrom('', '.', '!', ' .'),
  })
  .map(
    ({ words, gaps, lead, end }) =>
      lead + words.map((w, i) => (i === 0 ? w : gaps[i - 1] + w)).join('') + end,
  );

describe('POST /explain on the bundled model (real ONNX Runtime)', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp({ INFERENCE_WORKERS: '1' });
  });
  after(() => t.close());

  // Texts the bundled model is sure of (≥ 0.96), each with one sentiment word.
  const SURE = [
    ['I hate this movie', 'hate'],
    ['the worst film ever', 'worst'],
    ['the acting was bad', 'bad'],
    ['a great film', 'great'],
    ['What a wonderful film', 'wonderful'],
  ] as const;

  test('a text the model is sure of: its sentiment word comes first', async () => {
    const explanations = await explain(
      t,
      SURE.map(([text]) => text),
    );
    SURE.forEach(([text, word], index) => {
      const e = explanations[index] as Explanation;
      assert.ok(Math.max(...e.prediction.map((p) => p.score)) > 0.96, text);
      assert.equal(ranked(e)[0]?.word, word, text);
    });
  });

  test('"I hate this movie": words as written with their offsets; /predict without "hate" moves by exactly its contribution', async () => {
    const text = 'I hate this movie';
    const [e] = (await explain(t, [text])) as [Explanation];
    assert.deepEqual(
      e.words.map(({ word, start, end }) => [word, start, end]),
      [
        ['I', 0, 1],
        ['hate', 2, 6],
        ['this', 7, 11],
        ['movie', 12, 17],
      ],
    );
    const hate = e.words[1] as Word;
    assert.ok((hate.contributions.NEGATIVE as number) > 0.5, 'hate pushes NEGATIVE up, a lot');
    const [full, without] = (await predict(t, [text, 'I this movie'])) as [
      LabelScore[],
      LabelScore[],
    ];
    assert.deepEqual(full, e.prediction);
    for (const label of ['NEGATIVE', 'POSITIVE']) {
      const moved = score(full, label) - score(without, label);
      assert.ok(Math.abs(moved - (hate.contributions[label] as number)) < 1e-6, label);
    }
    assert.ok(score(without, 'NEGATIVE') < score(full, 'NEGATIVE'), 'the sign says which way');
  });

  test('property: offsets, prediction, and each contribution reproduce through /predict (generated short texts)', async () => {
    await fc.assert(
      fc.asyncProperty(shortText, async (text) => {
        const [e] = (await explain(t, [text])) as [Explanation];
        assert.deepEqual(
          e.words.map((w) => w.word),
          text.split(/\s+/).filter(Boolean),
        );
        for (const w of e.words) assert.equal(text.slice(w.start, w.end), w.word);
        assert.equal(e.total_words, e.words.length);
        assert.equal(e.truncated, false);
        const variants = splitWords(text).map((w) => withoutWord(text, w));
        const [full, ...occluded] = await predict(t, [text, ...variants]);
        assert.deepEqual(full, e.prediction, 'the prediction is /predict’s');
        e.words.forEach((w, i) => {
          let sum = 0;
          for (const { label } of e.prediction) {
            const c = w.contributions[label] as number;
            assert.ok(c >= -1 && c <= 1);
            sum += c;
            const moved =
              score(full as LabelScore[], label) - score(occluded[i] as LabelScore[], label);
            assert.ok(Math.abs(moved - c) < 1e-6, `${text} / ${w.word} / ${label}`);
          }
          // What holds instead of completeness: both sides are softmaxes, so per word the
          // contributions over the classes cancel.
          assert.ok(Math.abs(sum) < 1e-6, `${text} / ${w.word}: ${sum}`);
        });
      }),
      { numRuns: 25 },
    );
  });

  test('property: a one-word text is the one case where contributions add up to score(text) − score("")', async () => {
    const [empty] = (await predict(t, [''])) as [LabelScore[]];
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...SENTIMENT, ...NEUTRAL), async (word) => {
        const [e] = (await explain(t, [word])) as [Explanation];
        for (const { label, score: s } of e.prediction) {
          const c = (e.words[0] as Word).contributions[label] as number;
          assert.ok(Math.abs(c - (s - score(empty, label))) < 1e-6);
        }
      }),
      { numRuns: 10 },
    );
  });

  test('no completeness: a repeated sentiment word gets almost nothing although it decides the text', async () => {
    // "awful awful awful" without one "awful" is still "awful awful": occlusion sees each copy
    // as redundant. The sum of contributions is nowhere near score(text) − score("").
    const [e] = (await explain(t, ['awful awful awful'])) as [Explanation];
    const [empty] = (await predict(t, [''])) as [LabelScore[]];
    const sum = e.words.reduce((total, w) => total + (w.contributions.NEGATIVE as number), 0);
    const whole = score(e.prediction, 'NEGATIVE') - score(empty, 'NEGATIVE');
    assert.ok(score(e.prediction, 'NEGATIVE') > 0.95);
    assert.ok(whole - sum > 0.3, `sum ${sum} vs score(text) − score("") ${whole}`);
  });

  test('variants go through the classifier: cached, so /predict on one computes nothing more', async () => {
    await explain(t, ['an utterly charming tale']);
    const computed = await counter(t.metrics, 'sentiment_computed_texts_total');
    await predict(t, ['an charming tale', 'an utterly charming']);
    assert.equal(await counter(t.metrics, 'sentiment_computed_texts_total'), computed);
  });

  test('is in the OpenAPI document with its errors', async () => {
    const doc = (await t.app.inject({ url: '/openapi.json' })).json<{
      paths: Record<string, { post?: { responses: object } }>;
    }>();
    const op = doc.paths['/explain']?.post;
    assert.ok(op, 'POST /explain is documented');
    for (const status of ['200', '413', '422', '429']) assert.ok(status in op.responses, status);
  });
});

describe('POST /explain limits and errors', () => {
  test('EXPLAIN_MAX_WORDS cuts a long text (and says so); EXPLAIN_MAX_TEXTS → 413; bad bodies → 422 as /predict', async (t) => {
    const app = await build(t, {
      EXPLAIN_MAX_TEXTS: '2',
      EXPLAIN_MAX_WORDS: '3',
      MAX_TEXTS_PER_REQUEST: '4',
    });
    const [e] = (await explain(app, ['one two three four five'])) as [Explanation];
    assert.deepEqual(
      e.words.map((w) => w.word),
      ['one', 'two', 'three'],
    );
    assert.equal(e.total_words, 5);
    assert.equal(e.truncated, true);

    const tooMany = await post(app, '/explain', { text: ['a', 'b', 'c'] });
    assert.equal(tooMany.statusCode, 413);
    assert.equal(tooMany.json<{ detail: { type: string }[] }>().detail[0]?.type, 'too_long');
    // /predict keeps its own limit.
    assert.equal((await post(app, '/predict', { text: ['a', 'b', 'c'] })).statusCode, 200);

    for (const [body, type] of [
      [{}, 'missing'],
      [{ text: 'I hate it' }, 'list_type'],
      [{ text: [1] }, 'string_type'],
      [{ text: [], extra: 1 }, 'extra_forbidden'],
    ] as const) {
      const res = await post(app, '/explain', body);
      const predictRes = await post(app, '/predict', body);
      assert.equal(res.statusCode, 422, JSON.stringify(body));
      assert.equal(res.json<{ detail: { type: string }[] }>().detail[0]?.type, type);
      assert.deepEqual(res.json(), predictRes.json(), 'the same answer as /predict');
    }
    const long = await post(app, '/explain', { text: ['x'.repeat(20_001)] });
    assert.equal(long.statusCode, 413);
    assert.equal(long.json<{ detail: { type: string }[] }>().detail[0]?.type, 'string_too_long');
  });
});
