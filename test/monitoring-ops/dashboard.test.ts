/**
 * deploy/grafana: the dashboard against Grafana's published schema package (@grafana/schema,
 * the version of the Grafana in deploy/compose.yaml), by compiling it as a typed literal with
 * tsc, as test/deploy/manifests.ts does for kubernetes-models; every panel's PromQL parsed by
 * promtool (a rules file made of the queries: `promtool check rules` parses each expression
 * offline); and the recording rules a panel reads are ones the shipped rules record. A
 * misspelt field and a broken query must fail the same checks.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { parse, stringify } from 'yaml';
import { REPO_ROOT } from '../../devkit/shared-data.js';
import { concreteQuery, dashboardQueries, readDashboard, type DashboardJson } from './dashboard.js';
import { promtool, shippedGroups, skipWithoutPromtool } from './promtool.js';

const run = promisify(execFile);
const tmp = mkdtempSync(join(tmpdir(), 'sentiment-dashboard-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

/**
 * The dashboard typed with @grafana/schema. Grafana's enums (LegendDisplayMode, …) are
 * TypeScript string enums, which a JSON string never is: `Plain` turns each into the union of
 * its values, as the JSON model holds them. Two checks: the dashboard as Grafana's `Dashboard`
 * type, and each time-series panel with the time-series plugin's options and field config
 * and Prometheus targets (Panel's own `options` is a bare record: the plugin's type is put in).
 */
const TYPES = `
import type { Dashboard, DataQuery, Panel, RowPanel } from '@grafana/schema';
import type { FieldConfig, Options } from '@grafana/schema/dist/esm/raw/composable/timeseries/panelcfg/x/TimeSeriesPanelCfg_types.gen';
type Plain<T> = T extends string ? \`\${T}\` : T extends readonly (infer U)[] ? Plain<U>[] : T extends object ? { [K in keyof T]: Plain<T[K]> } : T;
interface PrometheusTarget extends DataQuery { expr: string; legendFormat?: string; range?: boolean; instant?: boolean }
type TimeSeriesPanel = Omit<Panel<Options, FieldConfig>, 'targets' | 'type' | 'options'> & { type: 'timeseries'; options: Options; targets: PrometheusTarget[] };
type StrictDashboard = Omit<Dashboard, 'panels'> & { panels: (TimeSeriesPanel | (RowPanel & { panels: [] }))[] };
`;

/** tsc's errors for each named dashboard (an empty list: it type-checks). */
async function schemaProblems(
  dashboards: Record<string, unknown>,
): Promise<Record<string, string[]>> {
  // Inside the checkout, so '@grafana/schema' resolves from its node_modules.
  const dir = join(REPO_ROOT, 'generated', `dashboard-types-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  const files = Object.entries(dashboards).map(([name, dashboard]) => {
    const json = JSON.stringify(dashboard, null, 2);
    const source = `${TYPES}\nexport const asDashboard: Plain<Dashboard> = ${json};\nexport const asPanels: Plain<StrictDashboard> = ${json};\n`;
    writeFileSync(join(dir, `${name}.ts`), source);
    return `${name}.ts`;
  });
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        strict: true,
        noEmit: true,
        module: 'ESNext',
        moduleResolution: 'Bundler',
        target: 'ES2022',
        skipLibCheck: true,
        types: [],
        typeRoots: [],
      },
      files,
    }),
  );
  let output = '';
  try {
    try {
      await run(process.execPath, [join(REPO_ROOT, 'node_modules/typescript/bin/tsc'), '-p', dir], {
        timeout: 120_000,
        maxBuffer: 16 * 1024 * 1024,
      });
    } catch (error) {
      output = (error as { stdout?: string }).stdout ?? String(error);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const errors = output.split('\n').filter((line) => line.includes('error TS'));
  // tsc failed without a type error (killed, a crash): that fails the check too.
  if (output && errors.length === 0) errors.push(output);
  const names = Object.keys(dashboards);
  return {
    ...Object.fromEntries(
      names.map((name) => [name, errors.filter((line) => line.includes(`${name}.ts(`))]),
    ),
    // Errors of no dashboard's file (a type the package no longer exports, a bad tsconfig).
    other: errors.filter((line) => !names.some((name) => line.includes(`${name}.ts(`))),
  };
}

/** `promtool check rules` on a rules file whose every rule is one of `queries`. */
async function checkQueries(queries: readonly string[]) {
  const file = join(mkdtempSync(join(tmp, 'queries-')), 'queries.rules.yaml');
  writeFileSync(
    file,
    stringify({
      groups: [
        {
          name: 'dashboard-queries',
          rules: queries.map((expr, i) => ({ record: `dashboard:query_${i}:check`, expr })),
        },
      ],
    }),
  );
  return promtool('check', 'rules', file);
}

describe('Grafana dashboard (deploy/grafana/dashboards/sentiment-api.json)', () => {
  const dashboard = readDashboard();

  test('@grafana/schema: the dashboard type-checks; a misspelt field fails', async () => {
    const broken = structuredClone(dashboard) as unknown as {
      panels: { type: string; options?: { legend: Record<string, unknown> } }[];
    };
    const panel = broken.panels.find((p) => p.type === 'timeseries');
    assert.ok(panel?.options);
    panel.options.legend.placment = 'bottom';
    const problems = await schemaProblems({ shipped: dashboard, broken });
    assert.deepEqual(problems.shipped, []);
    assert.deepEqual(problems.other, []);
    assert.ok(
      problems.broken?.some((line) => line.includes('placment')),
      `the misspelt field is named: ${problems.broken?.join('\n')}`,
    );
  });

  test('every panel: an id of its own, a grid position, the Prometheus data source, a query', () => {
    const ids = dashboard.panels.map((panel) => panel.id);
    assert.equal(new Set(ids).size, ids.length);
    for (const panel of dashboard.panels) {
      assert.equal(panel.datasource?.uid, 'prometheus', panel.title);
      if (panel.type !== 'row') assert.ok(panel.targets?.length, `${panel.title} has a query`);
    }
  });

  test(
    'every panel query parses (promtool); a broken one does not',
    { skip: skipWithoutPromtool() },
    async () => {
      const queries = dashboardQueries(dashboard).map(({ target }) =>
        concreteQuery(target.expr, '1m'),
      );
      assert.ok(queries.length >= 20);
      const result = await checkQueries(queries);
      assert.ok(result.ok, result.output);
      assert.match(result.output, new RegExp(`SUCCESS: ${queries.length} rules found`));
      const broken = await checkQueries([
        ...queries,
        'sum by (le (rate(sentiment_batch_size_bucket[1m]))',
      ]);
      assert.equal(broken.ok, false);
    },
  );

  test('the recording rules a panel reads are recorded by the shipped rules', () => {
    const recorded = new Set(
      shippedGroups().flatMap((group) => group.rules.flatMap((rule) => rule.record ?? [])),
    );
    const used = dashboardQueries(dashboard).flatMap(({ target }) =>
      [...target.expr.matchAll(/\b[a-z_]+:[a-z0-9_]+:[a-z0-9_]+\b/g)].map(([name]) => name),
    );
    assert.ok(used.length >= 5);
    for (const name of used) assert.ok(recorded.has(name), `${name} is recorded`);
  });

  test('the seed load-test views and the monitoring views are all there', () => {
    const exprs = dashboardQueries(dashboard).map(({ target }) => target.expr);
    const has = (pattern: RegExp, what: string) =>
      assert.ok(
        exprs.some((expr) => pattern.test(expr)),
        what,
      );
    for (const q of ['0.5', '0.9', '0.95', '0.99'])
      has(
        new RegExp(`histogram_quantile\\(${q}, .*sentiment_http_request_duration_seconds_bucket`),
        `latency p${q}`,
      );
    has(/rate\(sentiment_http_request_duration_seconds_count/, 'request rate');
    has(/status!~"2\.\."/, 'errors');
    has(/sentiment_cache_hits:ratio/, 'cache hit ratio');
    has(/sentiment_batch_size_bucket/, 'batch size');
    has(/sentiment_queue_wait_seconds_bucket/, 'queue wait');
    has(/sentiment_inference_duration_seconds_bucket/, 'inference time');
    has(/eventloop_lag/, 'event-loop delay');
    has(/feature:sentiment_monitor_bin_texts:psi10m/, 'fleet PSI per feature');
    has(/live_accuracy/, 'live accuracy');
    has(/estimated_accuracy/, 'estimated accuracy');
    has(/sentiment_request_refusals_total/, 'refusals by type');
  });

  test('Grafana provisioning: the data source uid the panels use, the dashboards folder', () => {
    const provisioning = join(REPO_ROOT, 'deploy/grafana/provisioning');
    const datasources = parse(
      readFileSync(join(provisioning, 'datasources/prometheus.yaml'), 'utf8'),
    ) as {
      datasources: { uid: string; type: string }[];
    };
    assert.deepEqual(
      datasources.datasources.map(({ uid, type }) => ({ uid, type })),
      [{ uid: 'prometheus', type: 'prometheus' }],
    );
    const providers = parse(
      readFileSync(join(provisioning, 'dashboards/sentiment-api.yaml'), 'utf8'),
    ) as {
      providers: { type: string; options: { path: string } }[];
    };
    assert.equal(providers.providers[0]?.type, 'file');
    assert.equal((dashboard as DashboardJson).uid, 'sentiment-api');
  });
});
