// @ts-check
/* global open, __ENV */
/**
 * The course project's k6 load profile against sentiment-api:
 *
 *   k6 run -e BASE_URL=http://127.0.0.1:8000 load/k6/predict.js
 *
 * Ramp 1 → 10 virtual users over 30 s, hold 10 for 7 min, ramp down over 3 min (stages in
 * src/load/profile.json, which load/runner.ts reads too, so both tools run the same profile).
 * Each iteration is GET /health then POST /predict, with no think time. 95% of the bodies are
 * the same three texts (the cache's best case); the rest send ten fixed sentences shuffled.
 * The body goes with no Content-Type header, as the course's script did.
 */
import http from 'k6/http';
import { check } from 'k6';

/**
 * @typedef {object} Profile
 * @property {number} startVUs
 * @property {import('k6/options').Stage[]} stages
 * @property {number} repeatedShare share of iterations that send `repeatedTexts`
 * @property {string[]} repeatedTexts
 * @property {string[]} shuffledTexts
 * @property {{ predictP99Ms: number, healthP99Ms: number, maxErrorRate: number }} thresholds
 */

/** @type {Profile} */
const profile = JSON.parse(open('../../src/load/profile.json'));
const BASE_URL = (__ENV.BASE_URL || 'http://127.0.0.1:8000').replace(/\/+$/, '');
const REPEATED_BODY = JSON.stringify({ text: profile.repeatedTexts });

/** @type {import('k6/options').Options} */
export const options = {
  scenarios: {
    profile: {
      executor: 'ramping-vus',
      startVUs: profile.startVUs,
      stages: profile.stages,
      // A VU removed by the ramp-down finishes its iteration first.
      gracefulRampDown: '10s',
    },
  },
  thresholds: {
    'http_req_duration{endpoint:predict}': [`p(99)<${profile.thresholds.predictP99Ms}`],
    'http_req_duration{endpoint:health}': [`p(99)<${profile.thresholds.healthP99Ms}`],
    http_req_failed: [`rate<=${profile.thresholds.maxErrorRate}`],
    checks: ['rate==1'],
  },
  summaryTrendStats: ['avg', 'med', 'p(90)', 'p(95)', 'p(99)', 'max'],
};

/**
 * A Fisher–Yates shuffle of a copy (k6 has no lodash).
 * @param {string[]} items
 * @returns {string[]}
 */
function shuffled(items) {
  const copy = items.slice();
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    const held = copy[i];
    copy[i] = /** @type {string} */ (copy[j]);
    copy[j] = /** @type {string} */ (held);
  }
  return copy;
}

/**
 * Whether a /predict answer holds one list of class scores, summing to 1, per text sent.
 * @param {import('k6/http').Response} res
 * @param {number} texts
 * @returns {boolean}
 */
function wellFormed(res, texts) {
  try {
    // A text body (k6's default responseType); null or binary is not a prediction.
    const body = JSON.parse(typeof res.body === 'string' ? res.body : '');
    return (
      Array.isArray(body.predictions) &&
      body.predictions.length === texts &&
      body.predictions.every(
        /** @param {{ label: string, score: number }[]} row */
        (row) => Math.abs(row.reduce((sum, s) => sum + s.score, 0) - 1) < 1e-6,
      )
    );
  } catch {
    return false;
  }
}

/** One iteration: liveness, then one prediction request. */
export default function () {
  const health = http.get(`${BASE_URL}/health`, { tags: { endpoint: 'health' } });
  check(health, { 'health is 200': (r) => r.status === 200 });

  const texts = Math.random() < profile.repeatedShare ? null : shuffled(profile.shuffledTexts);
  const body = texts === null ? REPEATED_BODY : JSON.stringify({ text: texts });
  const count = texts === null ? profile.repeatedTexts.length : texts.length;
  const res = http.post(`${BASE_URL}/predict`, body, { tags: { endpoint: 'predict' } });
  check(res, {
    'predict is 200': (r) => r.status === 200,
    'one prediction per text': (r) => wellFormed(r, count),
  });
}
