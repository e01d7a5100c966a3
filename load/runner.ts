/**
 * npm run load — the k6 profile of load/k6/predict.js, run from Node (no k6 binary needed):
 *
 *   flock /tmp/bench.lock npm run load -- [--base-url http://127.0.0.1:8000]
 *     [--full | --profile seed|compressed|open] [--time-scale 0.1 | --stages 5s:10,20s:10,5s:0]
 *     [--metrics-url URL …] [--max-requests N] [--out file.json] [--charts dir]
 *     [--rate N | --budget-ms 500 --start-rate 10] [--step-seconds 5] [--texts 1]
 *     [--skip-row-count]   (against bench/noop-server.ts, which answers three rows to anything)
 *
 * The compressed profile (a quarter of the seed's length) by default; `--full` runs the whole
 * 10.5 minutes. Prints latency percentiles, /predict throughput, errors and the cache hit
 * ratio (x-cache-hits, sent with CACHE_HITS_HEADER=1, and /metrics over time: pass every
 * replica's URL with --metrics-url when --base-url is a balancer), and writes the result with
 * its series to bench/results/ and its charts (latency, throughput, hit ratio) beside it.
 * `--profile open` runs the open model instead (src/load/open-model.ts). The same runs as
 * `sentiment-api loadtest`, without the charts.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { runLoadTest, type ProfileName } from '../src/load/load-test.js';
import { loadCharts } from './load-charts.js';

const { values: args } = parseArgs({
  options: {
    'base-url': { type: 'string', default: process.env.BASE_URL ?? 'http://127.0.0.1:8000' },
    profile: { type: 'string', default: 'compressed' },
    full: { type: 'boolean', default: false },
    'time-scale': { type: 'string' },
    stages: { type: 'string' },
    'metrics-url': { type: 'string', multiple: true },
    'max-requests': { type: 'string', default: '5000000' },
    out: { type: 'string' },
    charts: { type: 'string' },
    rate: { type: 'string' },
    'budget-ms': { type: 'string' },
    'start-rate': { type: 'string' },
    'step-seconds': { type: 'string' },
    texts: { type: 'string' },
    // The no-op server answers three rows whatever it is sent.
    'skip-row-count': { type: 'boolean', default: false },
  },
});
const profile = args.profile as ProfileName;
if (!['seed', 'compressed', 'open'].includes(profile))
  throw new Error(`--profile: seed, compressed or open, not '${args.profile}'`);
const number = (v: string | undefined): number | undefined =>
  v === undefined ? undefined : Number(v);
const optional = <T>(key: string, value: T | undefined): Record<string, T> =>
  value === undefined ? {} : { [key]: value };

const outcome = await runLoadTest(
  {
    url: args['base-url'],
    profile,
    full: args.full,
    maxRequests: Number(args['max-requests']),
    checkRowCount: !args['skip-row-count'],
    ...optional('stages', args.stages),
    ...optional('timeScale', number(args['time-scale'])),
    ...optional('metricsUrls', args['metrics-url']),
    ...optional('rate', number(args.rate)),
    ...optional('p99BudgetMs', number(args['budget-ms'])),
    ...optional('startRate', number(args['start-rate'])),
    ...optional('stepSeconds', number(args['step-seconds'])),
    ...optional('textsPerRequest', number(args.texts)),
  },
  (line) => process.stderr.write(`${line}\n`),
);
console.log(outcome.report);
const stamp = new Date().toISOString().replace(/[:.]/g, '-');
const out = args.out ?? `bench/results/load-${profile === 'open' ? 'open-' : ''}${stamp}.json`;
mkdirSync(dirname(out), { recursive: true });
const json =
  outcome.kind === 'closed' ? { profile: outcome.profile, ...outcome.result } : outcome.result;
writeFileSync(out, `${JSON.stringify(json, null, 1)}\n`);
console.log(`  written: ${out}`);
if (outcome.kind === 'closed') {
  const dir = args.charts ?? out.replace(/\.json$/, '');
  mkdirSync(dir, { recursive: true });
  for (const [name, chart] of Object.entries(await loadCharts(outcome.result))) {
    writeFileSync(join(dir, `${name}.svg`), chart.svg);
    writeFileSync(join(dir, `${name}.png`), chart.png);
  }
  console.log(`  charts: ${dir}/{latency,throughput,hits}.{svg,png}`);
}
process.exitCode = outcome.passed ? 0 : 1;
