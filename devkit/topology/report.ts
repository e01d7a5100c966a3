/** The topology run's report: a markdown table per scenario, and its charts. */
import { renderLineChart, type RenderedChart } from '../line-chart.js';
import type { ScenarioReport } from './scenarios.js';

const ms = (v: number): string => (Number.isFinite(v) ? v.toFixed(1) : '-');
const ratio = (v: number): string => (Number.isFinite(v) ? v.toFixed(3) : '-');

/** One scenario as markdown: phases (requests, failures by status, p50/p99, hit ratio) and checks. */
export function scenarioMarkdown(report: ScenarioReport): string {
  const rows = report.run.phases.map(
    (p) =>
      `| ${p.name} | ${p.fromS.toFixed(1)}–${p.toS.toFixed(1)} | ${p.requests.toLocaleString('en')} | ${p.failed}${p.failed ? ` ${JSON.stringify(p.failures)}` : ''} | ${ms(p.predict.p50Ms)} | ${ms(p.predict.p99Ms)} | ${ms(p.predict.maxMs)} | ${ratio(p.hitRatio)} |`,
  );
  const events = report.run.events.map((e) => `${e.what} at ${e.t.toFixed(1)} s`).join('; ');
  return [
    `**${report.title}** (\`${report.name}\`)${events ? `: ${events}` : ''}.`,
    '',
    '| phase | s | requests | failed | /predict p50 ms | p99 ms | max ms | hit ratio |',
    '| ----- | - | -------: | -----: | --------------: | -----: | -----: | --------: |',
    ...rows,
    '',
    ...report.checks.map((c) => `- ${c.ok ? 'ok' : 'FAILED'}: ${c.claim}: ${c.detail}`),
  ].join('\n');
}

/** The charts of one scenario: /predict latency per second, and the hit ratio per second. */
export async function scenarioCharts(
  report: ScenarioReport,
): Promise<Record<string, RenderedChart>> {
  const s = report.run.series;
  const events = report.run.events.map((e) => `${e.what} ${e.t.toFixed(0)} s`).join(', ');
  const subtitle = events ? ` (${events})` : '';
  return {
    [`${report.name}-latency`]: await renderLineChart({
      title: `${report.title}: /predict latency per second`,
      xLabel: `seconds since start${subtitle}`,
      yLabel: 'ms',
      series: [
        { name: 'p50', color: '#2b8a3e', points: s.map((p) => [p.t, p.p50Ms]) },
        { name: 'p99', color: '#c92a2a', points: s.map((p) => [p.t, p.p99Ms]) },
        {
          name: 'failed',
          color: '#000000',
          dashed: true,
          points: s.map((p) => [p.t, p.failed]),
        },
      ],
    }),
    [`${report.name}-throughput`]: await renderLineChart({
      title: `${report.title}: throughput and cache hits`,
      xLabel: `seconds since start${subtitle}`,
      yLabel: 'requests/s; hit ratio × 1000',
      series: [
        {
          name: '/predict per s',
          color: '#1864ab',
          points: s.map((p) => [p.t, p.predictPerS]),
        },
        {
          name: 'hit ratio × 1000',
          color: '#e67700',
          dashed: true,
          points: s.map((p) => [p.t, p.hitRatio * 1000]),
        },
      ],
    }),
  };
}
