/**
 * npm run bench:topology — the fleet's scenarios with their figures and charts:
 *
 *   flock /tmp/bench.lock npm run bench:topology -- [--full] [--only redis-hang,…]
 *     [--charts docs/images/topology] [--out bench/results/topology.json] [--service-root DIR]
 *
 * Three replicas on the bundled model, one redis-server and nginx (devkit/topology/), the
 * compressed seed profile through nginx in each scenario. Prints each scenario's phases and
 * checks as markdown (docs/benchmarks.md, "Topology"), writes two charts per scenario and the
 * figures as JSON, and exits 1 if any check failed. `npm run test:topology` runs the same
 * scenarios as a test, with the short phases.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadProfile } from '../src/load/profile.js';
import { Fleet } from '../devkit/topology/fleet.js';
import { scenarioCharts, scenarioMarkdown } from '../devkit/topology/report.js';
import {
  FULL_TIMES,
  SCENARIO_ENV,
  SCENARIOS,
  SHORT_TIMES,
  warmProfileTexts,
  type ScenarioReport,
  type SharedFigures,
} from '../devkit/topology/scenarios.js';

const { values: args } = parseArgs({
  options: {
    full: { type: 'boolean', default: false },
    only: { type: 'string' },
    charts: { type: 'string', default: 'docs/images/topology' },
    out: { type: 'string', default: 'bench/results/topology.json' },
    'service-root': { type: 'string' },
  },
});
const times = args.full ? FULL_TIMES : SHORT_TIMES;
const only = args.only?.split(',');
const profile = loadProfile();
const started = Date.now();
const fleet = await Fleet.start({
  replicas: 3,
  env: SCENARIO_ENV,
  ...(args['service-root'] ? { serviceRoot: args['service-root'] } : {}),
});
const reports: ScenarioReport[] = [];
const shared: SharedFigures = {};
try {
  console.log(`fleet up in ${((Date.now() - started) / 1000).toFixed(1)} s: nginx ${fleet.url}`);
  await warmProfileTexts(fleet, [...profile.repeatedTexts, ...profile.shuffledTexts]);
  for (const scenario of SCENARIOS) {
    const name = scenario.name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
    if (only && !only.includes(name)) continue;
    const report = await scenario(fleet, times, shared);
    reports.push(report);
    console.log(`\n${scenarioMarkdown(report)}`);
  }
} catch (error) {
  console.error(fleet.logs());
  throw error;
} finally {
  await fleet.stop();
}
mkdirSync(args.charts, { recursive: true });
for (const report of reports) {
  for (const [name, chart] of Object.entries(await scenarioCharts(report))) {
    writeFileSync(join(args.charts, `${name}.svg`), chart.svg);
    writeFileSync(join(args.charts, `${name}.png`), chart.png);
  }
}
mkdirSync(dirname(args.out), { recursive: true });
writeFileSync(
  args.out,
  `${JSON.stringify(
    {
      full: args.full,
      times,
      env: SCENARIO_ENV,
      scenarios: reports.map((r) => ({
        name: r.name,
        title: r.title,
        phases: r.run.phases,
        events: r.run.events,
        checks: r.checks,
        figures: r.figures,
        series: r.run.series,
      })),
    },
    null,
    1,
  )}\n`,
);
const seconds = ((Date.now() - started) / 1000).toFixed(0);
console.log(`\n${seconds} s in all; charts in ${args.charts}, figures in ${args.out}`);
process.exitCode = reports.every((r) => r.checks.every((c) => c.ok)) ? 0 : 1;
