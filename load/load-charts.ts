import { renderLineChart, type RenderedChart } from '../devkit/line-chart.js';
import type { LoadResult } from '../src/load/run-load.js';

/** The charts of one load run, by file name (without extension). */
export interface LoadCharts {
  /** /predict latency percentiles per second. */
  readonly latency: RenderedChart;
  /** /predict and /health throughput per second. */
  readonly throughput: RenderedChart;
  /**
   * Cache hit ratio over time: the server's (/metrics, every scrape interval) and the
   * client's (x-cache-hits, per second), whichever the run has.
   */
  readonly hits: RenderedChart;
}

/** The charts of one run (the JSON `npm run load` writes): latency, throughput and hit ratio. */
export async function loadCharts(result: LoadResult): Promise<LoadCharts> {
  const s = result.series;
  const when = `${result.startedAt.slice(0, 16).replace('T', ' ')} UTC, up to ${result.maxVUs} users`;
  return {
    latency: await renderLineChart({
      title: `/predict latency per second (${when})`,
      xLabel: 'seconds since start',
      yLabel: 'ms',
      series: [
        // A second with no /predict answer has NaN percentiles: a gap, not a drop to 0.
        { name: 'p50', color: '#2b8a3e', points: s.map((p) => [p.t, p.p50Ms]) },
        { name: 'p95', color: '#e67700', points: s.map((p) => [p.t, p.p95Ms]) },
        { name: 'p99', color: '#c92a2a', points: s.map((p) => [p.t, p.p99Ms]) },
      ],
    }),
    throughput: await renderLineChart({
      title: `Throughput per second (${when})`,
      xLabel: 'seconds since start',
      yLabel: 'requests/s',
      series: [
        { name: 'POST /predict', color: '#1864ab', points: s.map((p) => [p.t, p.predictPerS]) },
        {
          name: 'GET /health',
          color: '#868e96',
          dashed: true,
          points: s.map((p) => [p.t, p.healthPerS]),
        },
      ],
    }),
    hits: await renderLineChart({
      title: `Cache hit ratio (${when})`,
      xLabel: 'seconds since start',
      yLabel: 'share of texts from cache',
      series: [
        {
          name: 'server (/metrics)',
          color: '#1864ab',
          points: (result.hitRatioOverTime ?? []).map((p) => [p.t, p.hitRatio]),
        },
        {
          name: 'client (x-cache-hits)',
          color: '#868e96',
          dashed: true,
          points: s.map((p) => [p.t, p.hitRatio ?? Number.NaN]),
        },
      ],
    }),
  };
}
