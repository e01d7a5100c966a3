/**
 * npm run load:chart — the charts of a load run (the JSON `npm run load` writes), as SVG and
 * PNG: /predict latency percentiles and throughput per second (load/load-charts.ts).
 *
 *   npm run load:chart -- bench/results/load-….json [--out docs/load]
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadCharts } from './load-charts.js';
import type { LoadResult } from '../src/load/run-load.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { out: { type: 'string', default: 'docs/load' } },
});
const file = positionals[0];
if (!file) throw new Error('usage: npm run load:chart -- <result.json> [--out docs/load]');
const charts = await loadCharts(JSON.parse(readFileSync(file, 'utf8')) as LoadResult);
mkdirSync(values.out, { recursive: true });
for (const [name, chart] of Object.entries(charts)) {
  for (const [extension, content] of [
    ['svg', chart.svg],
    ['png', chart.png],
  ] as const) {
    const path = join(values.out, `${name}.${extension}`);
    writeFileSync(path, content);
    console.log(`written: ${path}`);
  }
}
