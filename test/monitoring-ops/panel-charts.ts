/**
 * The dashboard's main panels drawn from a real Prometheus's answers: each panel's queries as
 * Grafana would send them (range queries, one point a second), each series named by the
 * target's legend format, drawn with the repository's Vega-Lite renderer (devkit/line-chart.ts).
 * What docs/monitoring.md shows in place of Grafana, which cannot run here.
 */
import { renderLineChart, type ChartSeries, type RenderedChart } from '../../devkit/line-chart.js';
import { concreteQuery, type DashboardJson, type DashboardPanel } from './dashboard.js';
import type { PrometheusServer } from './prometheus-server.js';

/** Panels drawn, by title, with the PNG's name and how to show their values. */
const MAIN_PANELS: readonly {
  title: string;
  name: string;
  yLabel: string;
  scale?: number;
  yScale?: { type?: 'linear' | 'symlog'; domain?: [number, number] };
  /** Leave out series that stay at 0 (most refusal types). */
  dropZero?: boolean;
}[] = [
  {
    title: 'Input drift per feature (fleet PSI)',
    name: 'psi',
    yLabel: 'PSI (symlog scale)',
    yScale: { type: 'symlog' },
  },
  { title: '/predict latency', name: 'latency', yLabel: 'ms', scale: 1000 },
  { title: 'Request rate by route', name: 'requests', yLabel: 'requests/s' },
  { title: 'Cache hit ratio', name: 'cache', yLabel: 'hit ratio', yScale: { domain: [0, 1] } },
  {
    title: 'Accuracy: live, estimated, reference',
    name: 'accuracy',
    yLabel: 'accuracy',
    yScale: { domain: [0, 1] },
  },
  { title: 'Refusals by type', name: 'refusals', yLabel: 'refusals/s', dropZero: true },
];

/** Enough distinct colours for a panel of every feature (Tableau 20's darker half and more). */
const COLORS = [
  '#1f77b4',
  '#ff7f0e',
  '#2ca02c',
  '#d62728',
  '#9467bd',
  '#8c564b',
  '#e377c2',
  '#7f7f7f',
  '#bcbd22',
  '#17becf',
  '#393b79',
  '#637939',
  '#8c6d31',
  '#843c39',
  '#7b4173',
  '#3182bd',
];

/** Grafana's legend format: `{{label}}` replaced by the series' label. */
function legend(format: string | undefined, metric: Record<string, string>): string {
  if (!format) return JSON.stringify(metric);
  return format.replace(/\{\{\s*(\w+)\s*\}\}/g, (_, label: string) => metric[label] ?? '');
}

export interface PanelChart {
  readonly name: string;
  readonly chart: RenderedChart;
}

/** The main panels over [loadStart, settled], time in seconds since loadStart. */
export async function renderPanels(
  prometheus: PrometheusServer,
  dashboard: DashboardJson,
  times: { readonly loadStart: number; readonly drift: number; readonly settled: number },
  rateInterval: string,
): Promise<PanelChart[]> {
  const charts: PanelChart[] = [];
  for (const spec of MAIN_PANELS) {
    const panel: DashboardPanel | undefined = dashboard.panels.find((p) => p.title === spec.title);
    if (!panel) throw new Error(`the dashboard has no panel "${spec.title}"`);
    const series: ChartSeries[] = [];
    for (const target of panel.targets ?? []) {
      const answer = await prometheus.queryRange(
        concreteQuery(target.expr, rateInterval),
        times.loadStart,
        times.settled,
        1,
      );
      for (const s of answer) {
        const points = s.values.map(
          ([t, v]) => [Math.round(t - times.loadStart), Number(v) * (spec.scale ?? 1)] as const,
        );
        if (spec.dropZero && points.every(([, y]) => !(y > 0))) continue;
        const name = legend(target.legendFormat, s.metric);
        series.push({
          name,
          points,
          color: COLORS[series.length % COLORS.length] as string,
          // The bands and the floor are thresholds, not data.
          dashed: name.startsWith('band:') || name === 'floor',
        });
      }
    }
    const drift = Math.round(times.drift - times.loadStart);
    charts.push({
      name: spec.name,
      chart: await renderLineChart({
        title: `${spec.title} (texts drift from ${drift} s on)`,
        xLabel: 'seconds since the load started',
        yLabel: spec.yLabel,
        series,
        ...(spec.yScale ? { yScale: spec.yScale } : {}),
      }),
    });
  }
  return charts;
}
