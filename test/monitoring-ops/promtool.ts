/**
 * What the monitoring-ops tests share: where the shipped rules, rule tests and dashboard are,
 * the rule files parsed, and promtool (Debian's `prometheus` package) run on them. A missing
 * promtool skips a test with a message, and fails it under REQUIRE_ALL=1 (CI installs it).
 */
import { execFile, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { REPO_ROOT } from '../../devkit/shared-data.js';

const run = promisify(execFile);

export const RULES_FILE = join(REPO_ROOT, 'deploy/prometheus/rules/sentiment-api.rules.yaml');
export const RULE_TESTS_FILE = join(
  REPO_ROOT,
  'deploy/prometheus/tests/sentiment-api.rules.test.yaml',
);
export const OPERATOR_RULE_FILE = join(
  REPO_ROOT,
  'deploy/k8s/overlays/prod/monitoring/prometheus-rule.yaml',
);
export const DASHBOARD_FILE = join(REPO_ROOT, 'deploy/grafana/dashboards/sentiment-api.json');
export const MONITORING_DOC = join(REPO_ROOT, 'docs/monitoring.md');

/** One rule of a group, as Prometheus's rule file format has it. */
export interface Rule {
  readonly record?: string;
  readonly alert?: string;
  readonly expr: string;
  readonly for?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
}

export interface RuleGroup {
  readonly name: string;
  readonly interval?: string;
  readonly rules: readonly Rule[];
}

/** The groups of the Compose stack's rule file. */
export function shippedGroups(): RuleGroup[] {
  return (parse(readFileSync(RULES_FILE, 'utf8')) as { groups: RuleGroup[] }).groups;
}

/** The groups of the Prometheus Operator's PrometheusRule. */
export function operatorGroups(): RuleGroup[] {
  return (parse(readFileSync(OPERATOR_RULE_FILE, 'utf8')) as { spec: { groups: RuleGroup[] } }).spec
    .groups;
}

/** Whether promtool is on PATH. */
export const HAS_PROMTOOL = spawnSync('promtool', ['--version']).status === 0;
/** Whether the prometheus server is on PATH. */
export const HAS_PROMETHEUS = spawnSync('prometheus', ['--version']).status === 0;

/** For `test(name, { skip: skipWithoutPromtool() })`; an error under REQUIRE_ALL=1 (CI). */
export function skipWithoutPromtool(): string | false {
  if (HAS_PROMTOOL) return false;
  if (process.env.REQUIRE_ALL === '1') throw new Error('REQUIRE_ALL=1 but promtool is missing');
  return 'needs promtool on PATH (apt-get install prometheus)';
}

/** The same for the prometheus server binary. */
export function skipWithoutPrometheus(): string | false {
  if (HAS_PROMETHEUS) return false;
  if (process.env.REQUIRE_ALL === '1') throw new Error('REQUIRE_ALL=1 but prometheus is missing');
  return 'needs prometheus on PATH (apt-get install prometheus)';
}

/** What a promtool run printed, and whether it succeeded. */
export interface PromtoolResult {
  readonly ok: boolean;
  readonly output: string;
}

/** Runs `promtool <args>` (a 60 s deadline) and returns its verdict and output. */
export async function promtool(...args: string[]): Promise<PromtoolResult> {
  try {
    const { stdout, stderr } = await run('promtool', args, {
      timeout: 60_000,
      maxBuffer: 16 * 1024 * 1024,
    });
    return { ok: true, output: stdout + stderr };
  } catch (error) {
    const {
      stdout = '',
      stderr = '',
      message,
    } = error as {
      stdout?: string;
      stderr?: string;
      message: string;
    };
    return { ok: false, output: `${stdout}${stderr}` || message };
  }
}

/**
 * The anchor GitHub gives a Markdown heading: lower case, punctuation other than hyphens and
 * underscores dropped, spaces to hyphens.
 */
export function headingAnchor(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/** Every heading anchor of a Markdown file. */
export function anchorsOf(markdown: string): Set<string> {
  return new Set(
    markdown
      .split('\n')
      .filter((line) => /^#{1,6} /.test(line))
      .map((line) => headingAnchor(line.replace(/^#+ /, ''))),
  );
}
