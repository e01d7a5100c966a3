/**
 * npm run load:chart — charts of a load run (the JSON `npm run load` writes) as hand-written
 * SVG (no chart library is installed): /predict latency percentiles and throughput per second.
 *
 *   npm run load:chart -- bench/results/load-….json [--out docs/load]
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { LoadResult } from './run-load.js';

/** One line of a chart. */
export interface Line {
  readonly name: string;
  readonly color: string;
  readonly dashed?: boolean;
  readonly points: readonly (readonly [number, number])[];
}

const W = 800;
const H = 360;
const M = { left: 64, right: 24, top: 40, bottom: 64 };

/** A step of 1, 2 or 5 × 10^k that cuts `max` into about five intervals. */
function niceStep(max: number): number {
  const raw = max / 5;
  const power = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? power * 10;
}

const esc = (text: string): string =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** A line chart with axes, grid, ticks and a legend, as a standalone SVG document. */
export function lineChart(
  title: string,
  xLabel: string,
  yLabel: string,
  lines: readonly Line[],
): string {
  const xs = lines.flatMap((l) => l.points.map((p) => p[0]));
  const ys = lines.flatMap((l) => l.points.map((p) => p[1])).filter(Number.isFinite);
  const xMax = Math.max(1, ...xs);
  const yStep = niceStep(Math.max(1e-9, ...ys) * 1.05);
  const yMax = Math.ceil((Math.max(1e-9, ...ys) * 1.05) / yStep) * yStep;
  const xStep = niceStep(xMax);
  const plotW = W - M.left - M.right;
  const plotH = H - M.top - M.bottom;
  const x = (v: number): number => M.left + (v / xMax) * plotW;
  const y = (v: number): number => M.top + plotH - (v / yMax) * plotH;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="22" text-anchor="middle" font-size="15">${esc(title)}</text>`,
  ];
  for (let v = 0; v <= yMax + yStep / 2; v += yStep) {
    const label = yStep < 1 ? v.toFixed(String(yStep).split('.')[1]?.length ?? 1) : String(v);
    parts.push(
      `<line x1="${M.left}" x2="${W - M.right}" y1="${y(v)}" y2="${y(v)}" stroke="#ddd"/>`,
      `<text x="${M.left - 6}" y="${y(v) + 4}" text-anchor="end">${label}</text>`,
    );
  }
  for (let v = 0; v <= xMax; v += xStep) {
    parts.push(
      `<line x1="${x(v)}" x2="${x(v)}" y1="${M.top + plotH}" y2="${M.top + plotH + 5}" stroke="#333"/>`,
      `<text x="${x(v)}" y="${M.top + plotH + 18}" text-anchor="middle">${v}</text>`,
    );
  }
  parts.push(
    `<line x1="${M.left}" x2="${M.left}" y1="${M.top}" y2="${M.top + plotH}" stroke="#333"/>`,
    `<line x1="${M.left}" x2="${W - M.right}" y1="${M.top + plotH}" y2="${M.top + plotH}" stroke="#333"/>`,
    `<text x="${M.left + plotW / 2}" y="${H - 28}" text-anchor="middle">${esc(xLabel)}</text>`,
    `<text transform="translate(16 ${M.top + plotH / 2}) rotate(-90)" text-anchor="middle">${esc(yLabel)}</text>`,
  );
  lines.forEach((line, i) => {
    // A gap (NaN: a second with no /predict answer) breaks the line rather than dropping to 0.
    const segments: string[][] = [[]];
    for (const [px, py] of line.points) {
      if (Number.isFinite(py)) segments.at(-1)?.push(`${x(px).toFixed(1)},${y(py).toFixed(1)}`);
      else if (segments.at(-1)?.length) segments.push([]);
    }
    for (const segment of segments.filter((s) => s.length)) {
      parts.push(
        `<polyline fill="none" stroke="${line.color}" stroke-width="1.5" points="${segment.join(' ')}"/>`,
      );
    }
    const lx = M.left + i * 150;
    parts.push(
      `<line x1="${lx}" x2="${lx + 20}" y1="${H - 10}" y2="${H - 10}" stroke="${line.color}" stroke-width="3"/>`,
      `<text x="${lx + 26}" y="${H - 6}">${esc(line.name)}</text>`,
    );
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

/** The two charts of one run: latency percentiles and throughput, per second. */
export function loadCharts(result: LoadResult): { latency: string; throughput: string } {
  const s = result.series;
  const when = `${result.startedAt.slice(0, 16).replace('T', ' ')} UTC, up to ${result.maxVUs} users`;
  return {
    latency: lineChart(`/predict latency per second (${when})`, 'seconds since start', 'ms', [
      { name: 'p50', color: '#2b8a3e', points: s.map((p) => [p.t, p.p50Ms]) },
      { name: 'p95', color: '#e67700', points: s.map((p) => [p.t, p.p95Ms]) },
      { name: 'p99', color: '#c92a2a', points: s.map((p) => [p.t, p.p99Ms]) },
    ]),
    throughput: lineChart(`Throughput per second (${when})`, 'seconds since start', 'requests/s', [
      { name: 'POST /predict', color: '#1864ab', points: s.map((p) => [p.t, p.predictPerS]) },
      {
        name: 'GET /health',
        color: '#868e96',
        dashed: true,
        points: s.map((p) => [p.t, p.healthPerS]),
      },
    ]),
  };
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { out: { type: 'string', default: 'docs/load' } },
  });
  const file = positionals[0];
  if (!file) throw new Error('usage: npm run load:chart -- <result.json> [--out docs/load]');
  const charts = loadCharts(JSON.parse(readFileSync(file, 'utf8')) as LoadResult);
  mkdirSync(values.out, { recursive: true });
  for (const [name, svg] of Object.entries(charts)) {
    writeFileSync(join(values.out, `${name}.svg`), svg);
    console.log(`written: ${join(values.out, `${name}.svg`)}`);
  }
}

if (process.argv[1]?.endsWith('chart.ts')) await main();
