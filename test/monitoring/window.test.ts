import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BinLayout } from '../../src/monitoring/bin-layout.js';
import { binIndex } from '../../src/monitoring/bin-edges.js';
import { SlidingWindow } from '../../src/monitoring/window.js';

/** Two text features (a count, a share) and the per-request one. */
const layout = new BinLayout(
  ['length', 'share', 'texts_per_request'],
  new Map([
    ['length', { edges: [5, 10, 20], shares: [0.25, 0.25, 0.25, 0.25] }],
    ['share', { edges: [0.5], shares: [0.5, 0.5] }],
    ['texts_per_request', { edges: [1 + 1e-9], shares: [1, 0] }],
  ]),
);

const vector = (i: number): number[] => [i % 30, (i % 7) / 7];

/** The window's counts recomputed from the texts it should hold: the oracle. */
function naive(vectors: readonly number[][], requests: number): number[] {
  const counts = new Array<number>(layout.totalBins).fill(0);
  for (const v of vectors) {
    counts[binIndex([5, 10, 20], v[0] as number)]!++;
    counts[4 + binIndex([0.5], v[1] as number)]!++;
  }
  counts[6] = requests; // every request of one text falls in bin 0
  return counts;
}

test('the count cap: the window holds the last texts, between 95% and 100% of maxTexts', () => {
  let now = 0;
  const window = new SlidingWindow(layout, { windowSeconds: 600, maxTexts: 200 }, () => now);
  const sent: number[][] = [];
  for (let i = 0; i < 1000; i++) {
    const v = vector(i);
    sent.push(v);
    window.observe([v]);
    now += 10;
    const texts = window.texts;
    if (i >= 200) assert.ok(texts >= 190 && texts <= 200, `${i}: ${texts}`);
  }
  const held = window.texts;
  assert.deepEqual([...window.counts], naive(sent.slice(-held), held));
  assert.equal(window.requests, held);
  assert.equal(window.textsSeen, 1000);
  // The counters since start never drop anything.
  assert.deepEqual([...window.cumulative], naive(sent, 1000));
});

test('the time window: slots whose last text is older than windowSeconds leave', () => {
  let now = 1_000_000;
  const window = new SlidingWindow(layout, { windowSeconds: 100, maxTexts: 1_000_000 }, () => now);
  // One text a second for 300 s: the window keeps about the last 100 s (one 5 s slot more at most).
  const sent: number[][] = [];
  for (let i = 0; i < 300; i++) {
    sent.push(vector(i));
    window.observe([vector(i)]);
    now += 1000;
  }
  const held = window.texts;
  assert.ok(held >= 95 && held <= 105, String(held));
  assert.deepEqual([...window.counts], naive(sent.slice(-held), held));
  assert.ok((window.startedAt as number) >= now - 106_000);
  now += 101_000;
  assert.equal(window.texts, 0);
  assert.equal(window.startedAt, undefined);
  assert.ok([...window.counts].every((count) => count === 0));
  // And it fills again from empty.
  window.observe([vector(1), vector(2)]);
  assert.equal(window.texts, 2);
  assert.equal(window.requests, 1);
  assert.equal(window.counts[7], 1, 'a request of two texts: above the one-text edge');
});

test('memory does not grow with traffic: slots × bins numbers, whatever is sent', () => {
  const window = new SlidingWindow(layout, { windowSeconds: 600, maxTexts: 5000 }, () => 0);
  const long = [1e9, 0.9];
  for (let i = 0; i < 50_000; i++) window.observe([long]);
  assert.equal(window.counts.length, layout.totalBins);
  assert.equal(window.counts[3], window.texts);
  assert.ok(window.texts <= 5000);
});

test('a vector shorter than the layout counts only the features it has', () => {
  const window = new SlidingWindow(layout, { windowSeconds: 600, maxTexts: 100 }, () => 0);
  window.observe([[7]]);
  assert.deepEqual([...window.counts], [0, 1, 0, 0, 0, 0, 1, 0]);
});
