/**
 * npm run bench:topology-load — the seed's load test through the production topology:
 *
 *   flock /tmp/bench.lock npm run bench:topology-load -- --model-dir generated/distilbert-base
 *     [--full] [--stages 5s:10,20s:10,5s:0] [--open] [--budget-ms 500] [--service-root DIR]
 *     [--out bench/results/topology-load.json] [--charts docs/images/topology-load]
 *
 * Three replicas (one inference worker each: three on two cores), one redis-server and nginx
 * (devkit/topology/), the replicas at their defaults otherwise (both cache tiers on), and the
 * seed profile through nginx (`--full`: all 10.5 minutes; else compressed), with /metrics read
 * from every replica for the hit ratio over time. `--open` then runs the open model through
 * the same fleet: the highest arrival rate of unique texts with p99 under `--budget-ms`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { runLoadTest } from '../src/load/load-test.js';
import { Fleet } from '../devkit/topology/fleet.js';
import { loadCharts } from '../load/load-charts.js';

const { values: args } = parseArgs({
  options: {
    'model-dir': { type: 'string' },
    full: { type: 'boolean', default: false },
    stages: { type: 'string' },
    open: { type: 'boolean', default: false },
    'budget-ms': { type: 'string', default: '500' },
    'service-root': { type: 'string' },
    out: { type: 'string', default: 'bench/results/topology-load.json' },
    charts: { type: 'string', default: 'docs/images/topology-load' },
  },
});
const env = {
  INFERENCE_WORKERS: '1',
  ...(args['model-dir'] ? { MODEL_DIR: args['model-dir'] } : {}),
};
const started = Date.now();
const fleet = await Fleet.start({
  replicas: 3,
  env,
  ...(args['service-root'] ? { serviceRoot: args['service-root'] } : {}),
});
const log = (line: string): void => void process.stderr.write(`${line}\n`);
let closed;
let open;
try {
  log(
    `fleet up in ${((Date.now() - started) / 1000).toFixed(1)} s: nginx ${fleet.url}, ${JSON.stringify(env)}`,
  );
  closed = await runLoadTest(
    {
      url: fleet.url,
      profile: args.full ? 'seed' : 'compressed',
      full: args.full,
      metricsUrls: fleet.replicas.map((r) => r.url),
      ...(args.stages ? { stages: args.stages } : {}),
    },
    log,
  );
  console.log(closed.report);
  if (args.open) {
    open = await runLoadTest(
      { url: fleet.url, profile: 'open', p99BudgetMs: Number(args['budget-ms']), startRate: 10 },
      log,
    );
    console.log(open.report);
  }
} catch (error) {
  console.error(fleet.logs());
  throw error;
} finally {
  await fleet.stop();
}
if (closed.kind !== 'closed') throw new Error('unreachable');
mkdirSync(dirname(args.out), { recursive: true });
writeFileSync(
  args.out,
  `${JSON.stringify({ env, profile: closed.profile, ...closed.result, open: open?.result }, null, 1)}\n`,
);
mkdirSync(args.charts, { recursive: true });
for (const [name, chart] of Object.entries(await loadCharts(closed.result))) {
  writeFileSync(join(args.charts, `${name}.svg`), chart.svg);
  writeFileSync(join(args.charts, `${name}.png`), chart.png);
}
console.log(`written: ${args.out}, charts in ${args.charts}`);
process.exitCode = closed.passed && (open?.passed ?? true) ? 0 : 1;
