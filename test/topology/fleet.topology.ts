/**
 * npm run test:topology (CI: .ci/run) — the production topology on one machine: three
 * replicas on the bundled model, one redis-server, nginx in front (devkit/topology/), and
 * the five scenarios of issue #14 under the compressed seed profile through nginx, each
 * judged on counted requests. Not part of `npm test` (it needs nginx and takes about a
 * minute and a half); TOPOLOGY_FULL=1 runs the longer phases of `bench:topology -- --full`.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { loadProfile } from '../../src/load/profile.js';
import { skipWithoutRedis } from '../../devkit/redis-server.js';
import { Fleet } from '../../devkit/topology/fleet.js';
import { skipWithoutNginx } from '../../devkit/topology/nginx.js';
import { scenarioMarkdown } from '../../devkit/topology/report.js';
import {
  FULL_TIMES,
  SCENARIO_ENV,
  SCENARIOS,
  SHORT_TIMES,
  warmProfileTexts,
  type SharedFigures,
} from '../../devkit/topology/scenarios.js';

const skip = skipWithoutNginx() || skipWithoutRedis();
const times = process.env.TOPOLOGY_FULL === '1' ? FULL_TIMES : SHORT_TIMES;

describe('three replicas, one Redis, nginx in front', { skip }, () => {
  let fleet: Fleet | undefined;
  const shared: SharedFigures = {};

  before(async () => {
    fleet = await Fleet.start({ replicas: 3, env: SCENARIO_ENV });
    const profile = loadProfile();
    await warmProfileTexts(fleet, [...profile.repeatedTexts, ...profile.shuffledTexts]);
  });
  after(async () => {
    await fleet?.stop();
  });

  for (const scenario of SCENARIOS) {
    test(scenario.name, { timeout: 180_000 }, async (t) => {
      assert.ok(fleet, 'the fleet did not start');
      const report = await scenario(fleet, times, shared);
      t.diagnostic(scenarioMarkdown(report));
      const failed = report.checks.filter((c) => !c.ok);
      assert.deepEqual(
        failed.map((c) => `${c.claim}: ${c.detail}`),
        [],
        failed.length ? fleet.logs().slice(-20_000) : '',
      );
    });
  }
});
