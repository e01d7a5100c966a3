import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { NO_STAGES, requestStages, type TextStages } from '../../src/engine/stage-times.js';
import { build, counter } from '../helper.js';

/** A text tokenized for 5 ms, queued for 10, computed in 20, its scores there at t = 100. */
const text = (over: Partial<TextStages> = {}): TextStages => ({
  tokenizeMs: 5,
  queueMs: 10,
  inferenceMs: 20,
  doneAt: 100,
  ...over,
});

describe('requestStages: a request reports the part of each stage it waited through', () => {
  test('a request that asked before the text was tokenized reports every stage whole', () => {
    assert.deepEqual(requestStages([text()], 60), { tokenizeMs: 5, queueMs: 10, inferenceMs: 20 });
  });

  test('a request that joined a queued text (coalescing) reports only what came after it joined', () => {
    // Joined at 75: 25 ms of waiting, the last 20 of them the forward pass, 5 in the queue.
    assert.deepEqual(requestStages([text()], 75), { tokenizeMs: 0, queueMs: 5, inferenceMs: 20 });
    // Joined during the forward pass: only its rest.
    assert.deepEqual(requestStages([text()], 92), { tokenizeMs: 0, queueMs: 0, inferenceMs: 8 });
    // Joined during tokenizing: its rest, then the queue and the pass whole.
    assert.deepEqual(requestStages([text()], 67), { tokenizeMs: 3, queueMs: 10, inferenceMs: 20 });
  });

  test("the mean over the request's texts, as TEI averages over a batch request's inputs", () => {
    const other = text({ tokenizeMs: 5, queueMs: 30, inferenceMs: 10, doneAt: 110 });
    assert.deepEqual(requestStages([text(), other], 50), {
      tokenizeMs: 5,
      queueMs: 20,
      inferenceMs: 15,
    });
  });

  test('the stages never add up to more than the wait; nothing waited for is all zeros', () => {
    for (const joinedAt of [0, 64, 66, 70, 79, 81, 99, 100, 130]) {
      const { tokenizeMs, queueMs, inferenceMs } = requestStages([text()], joinedAt);
      assert.ok(tokenizeMs + queueMs + inferenceMs <= Math.max(0, 100 - joinedAt) + 1e-9);
      assert.ok(Math.min(tokenizeMs, queueMs, inferenceMs) >= 0);
    }
    assert.deepEqual(requestStages([], 0), NO_STAGES);
    // A text whose end was never recorded (it failed) counts for nothing.
    assert.deepEqual(requestStages([text({ doneAt: Number.NaN })], 0), NO_STAGES);
  });
});

test('through the real engine: a request that joins a text being computed reports what it waited', async (ctx) => {
  const t = await build(ctx);
  const classifier = t.engine.classifier;
  const text = 'a text two requests ask for at once';
  const started = performance.now();
  const first = classifier.classify([text]);
  const second = classifier.classify([text]);
  const [a, b] = await Promise.all([first, second]);
  const waitedMs = performance.now() - started;
  assert.equal(await counter(t.metrics, 'sentiment_coalesced_texts_total'), 1, 'the second joined');
  assert.ok(a.stages.inferenceMs > 0, 'the first request reports its forward pass');
  // The second joined before the forward pass, so it waited through all of it.
  assert.equal(b.stages.inferenceMs, a.stages.inferenceMs);
  for (const { stages } of [a, b]) {
    const sum = stages.tokenizeMs + stages.queueMs + stages.inferenceMs;
    assert.ok(sum <= waitedMs, `${sum} ms of stages within the ${waitedMs} ms waited`);
  }
  assert.ok(b.stages.tokenizeMs <= a.stages.tokenizeMs);
  assert.ok(b.stages.queueMs <= a.stages.queueMs);
  // Asked again, it is a cache hit: nothing waited for.
  assert.deepEqual((await classifier.classify([text])).stages, NO_STAGES);
});
