import assert from 'node:assert/strict';
import { test } from 'node:test';
import { psi } from '../../src/monitoring/psi.js';
import { PSI_MIN_SHARE } from '../../src/monitoring/types.js';

const close = (actual: number, expected: number, digits = 12): void =>
  assert.ok(Math.abs(actual - expected) < 10 ** -digits, `${actual} vs ${expected}`);

test('PSI worked by hand: shares swapped between two bins', () => {
  // live 0.5/0.25/0.25 against 0.25/0.25/0.5: (0.25)ln2 + 0 + (−0.25)ln(1/2) = 0.5 ln 2.
  close(psi([2, 1, 1], [0.25, 0.25, 0.5]), 0.5 * Math.LN2);
  // Counts, not shares: the same from 200/100/100.
  close(psi([200, 100, 100], [0.25, 0.25, 0.5]), 0.5 * Math.LN2);
  assert.equal(psi([1, 1, 2], [0.25, 0.25, 0.5]), 0);
  assert.equal(psi([0, 0, 0], [0.25, 0.25, 0.5]), 0);
});

test('a bin the reference never saw costs a finite amount: both shares floored at 1e-4', () => {
  // live 0.4/0.4/0.2 against 0.5/0.5/0: 2·(−0.1)ln(0.8) + (0.2 − 1e-4)ln(0.2/1e-4)
  //   = 0.0446287… + 1.5194204… = 1.5640491…
  const expected = 2 * -0.1 * Math.log(0.8) + (0.2 - PSI_MIN_SHARE) * Math.log(0.2 / PSI_MIN_SHARE);
  close(psi([2, 2, 1], [0.5, 0.5, 0]), expected);
  close(expected, 1.5640491, 6);
  // An empty live bin where the reference has data: (1e-4 − 0.5)ln(1e-4/0.5) + (1 − 0.5)ln 2.
  close(
    psi([0, 7], [0.5, 0.5]),
    (PSI_MIN_SHARE - 0.5) * Math.log(PSI_MIN_SHARE / 0.5) + 0.5 * Math.log(2),
  );
});

test('offsets read one feature out of a flat array of every feature', () => {
  const counts = [9, 9, 2, 1, 1, 9];
  const shares = [0.3, 0.25, 0.25, 0.5, 0.3];
  close(psi(counts, shares, 2, 3, 1), 0.5 * Math.LN2);
});
