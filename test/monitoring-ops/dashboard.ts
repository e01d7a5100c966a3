/**
 * The shipped Grafana dashboard read as data: its panels and their PromQL, with Grafana's own
 * interval variables replaced by a fixed range so Prometheus (or promtool) can take a query as
 * Grafana would send it.
 */
import { readFileSync } from 'node:fs';
import { DASHBOARD_FILE } from './promtool.js';

export interface DashboardTarget {
  readonly refId: string;
  readonly expr: string;
  readonly legendFormat?: string;
}

export interface DashboardPanel {
  readonly id: number;
  readonly type: string;
  readonly title: string;
  readonly datasource?: { readonly uid: string };
  readonly targets?: readonly DashboardTarget[];
}

export interface DashboardJson {
  readonly uid: string;
  readonly panels: readonly DashboardPanel[];
}

export function readDashboard(): DashboardJson {
  return JSON.parse(readFileSync(DASHBOARD_FILE, 'utf8')) as DashboardJson;
}

/** Every query of the dashboard, with its panel. */
export function dashboardQueries(
  dashboard = readDashboard(),
): { panel: DashboardPanel; target: DashboardTarget }[] {
  return dashboard.panels.flatMap((panel) =>
    (panel.targets ?? []).map((target) => ({ panel, target })),
  );
}

/**
 * `expr` as Grafana sends it: `$__rate_interval`, `$__interval` and `$__range` replaced by
 * `range` (Grafana computes them from the scrape interval and the time picker).
 */
export function concreteQuery(expr: string, range: string): string {
  return expr.replace(/\$__(rate_interval|interval|range)\b/g, range);
}
