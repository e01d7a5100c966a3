/**
 * The shipped Prometheus rules (deploy/prometheus/rules): `promtool check rules`, and
 * `promtool test rules` on deploy/prometheus/tests (the fleet PSI with numbers worked by hand,
 * every alert firing); the Prometheus Operator's copy equal to the Compose one; every alert
 * with a summary, a description and a runbook that exists in docs/monitoring.md; the rules'
 * constants equal to the code's. A rule broken on purpose must fail the unit tests.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { parse, stringify } from 'yaml';
import { REPO_ROOT } from '../../devkit/shared-data.js';
import { ERROR_CATALOGUE } from '../../src/errors.js';
import { PSI_MIN_SHARE } from '../../src/monitoring/types.js';
import {
  anchorsOf,
  MONITORING_DOC,
  operatorGroups,
  promtool,
  RULE_TESTS_FILE,
  RULES_FILE,
  shippedGroups,
  skipWithoutPromtool,
  type Rule,
} from './promtool.js';

const rules = shippedGroups().flatMap((group) => group.rules);
const alerts = rules.filter((rule): rule is Rule & { alert: string } => rule.alert !== undefined);
const tmp = mkdtempSync(join(tmpdir(), 'sentiment-rules-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

describe('shipped Prometheus rules', () => {
  test('one group, sentiment-api.monitoring, in Compose and in the PrometheusRule alike', () => {
    assert.deepEqual(
      shippedGroups().map((group) => group.name),
      ['sentiment-api.monitoring'],
    );
    assert.deepEqual(operatorGroups(), shippedGroups());
  });

  test(
    'promtool check rules: the Compose file and the PrometheusRule groups',
    { skip: skipWithoutPromtool() },
    async () => {
      const compose = await promtool('check', 'rules', RULES_FILE);
      assert.ok(compose.ok, compose.output);
      assert.match(compose.output, new RegExp(`SUCCESS: ${rules.length} rules found`));
      const operatorCopy = join(tmp, 'operator.rules.yaml');
      writeFileSync(operatorCopy, stringify({ groups: operatorGroups() }));
      const operator = await promtool('check', 'rules', operatorCopy);
      assert.ok(operator.ok, operator.output);
    },
  );

  test(
    "promtool check config: the Compose stack's prometheus.yml",
    { skip: skipWithoutPromtool() },
    async () => {
      const result = await promtool(
        'check',
        'config',
        join(REPO_ROOT, 'deploy/prometheus/prometheus.yml'),
      );
      assert.ok(result.ok, result.output);
    },
  );

  test('promtool test rules: every unit test passes', { skip: skipWithoutPromtool() }, async () => {
    const result = await promtool('test', 'rules', RULE_TESTS_FILE);
    assert.ok(result.ok, result.output);
    assert.match(result.output, /SUCCESS/);
  });

  test('every alert has a unit test in which it fires', () => {
    const tests = (
      parse(readFileSync(RULE_TESTS_FILE, 'utf8')) as {
        tests: { alert_rule_test?: { alertname: string; exp_alerts: unknown[] }[] }[];
      }
    ).tests.flatMap((t) => t.alert_rule_test ?? []);
    for (const { alert } of alerts)
      assert.ok(
        tests.some((t) => t.alertname === alert && t.exp_alerts.length > 0),
        `${alert}: no test expects it to fire`,
      );
  });

  test('every alert: severity, summary, description, a runbook in docs/monitoring.md', () => {
    const anchors = anchorsOf(readFileSync(MONITORING_DOC, 'utf8'));
    for (const { alert, labels, annotations } of alerts) {
      assert.match(labels?.severity ?? '', /^(info|warning|critical)$/, alert);
      assert.ok(annotations?.summary && annotations.description, `${alert}: summary, description`);
      const url = annotations.runbook_url ?? '';
      const anchor = /\/docs\/monitoring\.md#([\w-]+)$/.exec(url)?.[1];
      assert.equal(anchor, alert.toLowerCase(), `${alert}: runbook_url ${url}`);
      assert.ok(anchors.has(anchor), `docs/monitoring.md has a heading for #${anchor}`);
    }
  });

  test("the rules' constants are the code's: PSI_MIN_SHARE, the schema error types", () => {
    const clamps = rules.flatMap((rule) => [
      ...rule.expr.matchAll(/clamp_min\([\s\S]*?,\s*([\d.e-]+)\s*\)/g),
    ]);
    assert.ok(clamps.length >= 2, 'live and reference shares are clamped');
    for (const [, floor] of clamps) assert.equal(Number(floor), PSI_MIN_SHARE);
    const surge = alerts.find((rule) => rule.alert === 'SentimentAPISchemaErrorSurge');
    const types = /type=~"([^"]+)"/.exec(surge?.expr ?? '')?.[1]?.split('|') ?? [];
    // The request-shape refusals: 422, 413 and 415, and v2's 400 for a malformed infer body.
    const schemaCodes = Object.entries(ERROR_CATALOGUE)
      .filter(
        ([code, { status }]) =>
          [413, 415, 422].includes(status) || code === 'inference_request_invalid',
      )
      .map(([code]) => code);
    assert.deepEqual([...types].sort(), schemaCodes.sort());
  });

  test(
    'the unit tests catch a broken rule (a share floor of 1e-3, a drift window of 5m)',
    { skip: skipWithoutPromtool() },
    async () => {
      const source = readFileSync(RULES_FILE, 'utf8');
      for (const [from, to] of [
        ['1e-4', '1e-3'],
        ['increase10m >= 200', 'increase10m >= 0'],
        [
          '(increase(sentiment_monitor_bin_texts_total[10m]))',
          '(increase(sentiment_monitor_bin_texts_total[5m]))',
        ],
      ] as const) {
        assert.ok(source.includes(from), from);
        const dir = mkdtempSync(join(tmp, 'broken-'));
        writeFileSync(join(dir, 'rules.yaml'), source.replaceAll(from, to));
        const tests = readFileSync(RULE_TESTS_FILE, 'utf8').replace(
          '../rules/sentiment-api.rules.yaml',
          join(dir, 'rules.yaml'),
        );
        writeFileSync(join(dir, 'tests.yaml'), tests);
        const result = await promtool('test', 'rules', join(dir, 'tests.yaml'));
        assert.equal(result.ok, false, `${from} -> ${to} went unnoticed`);
      }
    },
  );
});
