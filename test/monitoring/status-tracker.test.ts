import assert from 'node:assert/strict';
import { test } from 'node:test';
import { StatusTracker, worse } from '../../src/monitoring/status-tracker.js';

test('a status changes only after `consecutive` evaluations agree on the new level', () => {
  const tracker = new StatusTracker(3);
  for (const level of ['ok', 'ok', 'ok'] as const) tracker.update(level);
  assert.equal(tracker.status, 'ok');
  assert.equal(tracker.update('drift'), 'ok');
  assert.equal(tracker.update('drift'), 'ok');
  assert.equal(tracker.update('alert'), 'ok', 'a different level restarts the count');
  assert.equal(tracker.update('alert'), 'ok');
  assert.equal(tracker.update('alert'), 'alert');
  assert.equal(tracker.update('ok'), 'alert');
  assert.equal(tracker.update('alert'), 'alert', 'back to the current level: the streak ends');
  tracker.update('ok');
  tracker.update('ok');
  assert.equal(tracker.update('ok'), 'ok');
});

test('leaving warming up: the median of the first `consecutive` verdicts', () => {
  const cases = [
    [['ok', 'drift', 'alert'], 'drift'],
    [['alert', 'ok', 'ok'], 'ok'],
    [['alert', 'alert', 'ok'], 'alert'],
  ] as const;
  for (const [levels, expected] of cases) {
    const tracker = new StatusTracker(3);
    assert.equal(tracker.update(levels[0]), 'warming_up');
    assert.equal(tracker.update(levels[1]), 'warming_up');
    assert.equal(tracker.update(levels[2]), expected, levels.join(','));
  }
});

test('too few texts again: warming up at once, and the count starts over', () => {
  const tracker = new StatusTracker(2);
  tracker.update('alert');
  assert.equal(tracker.update('alert'), 'alert');
  assert.equal(tracker.update('warming_up'), 'warming_up');
  assert.equal(tracker.update('ok'), 'warming_up');
  assert.equal(tracker.update('ok'), 'ok');
  assert.equal(new StatusTracker(1).update('drift'), 'drift');
});

test('worse: alert > drift > ok > warming_up', () => {
  assert.equal(worse('ok', 'drift'), 'drift');
  assert.equal(worse('alert', 'drift'), 'alert');
  assert.equal(worse('warming_up', 'ok'), 'ok');
});
