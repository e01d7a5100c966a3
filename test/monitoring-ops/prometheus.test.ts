/**
 * The shipped rules and dashboard against a real Prometheus (Debian's `prometheus`) scraping
 * the real service (the bundled model, the monitor on) every second, rules evaluated every
 * second. The rules are the shipped file with one change, in a temporary copy: every `for:`
 * is 5 s instead of minutes (range windows unchanged: the 10-minute window covers the whole
 * run). The load sends SST-2 sentences, then, halfway, questions and long texts; the test
 * checks that the fleet PSI is recorded and rises past the alert band after the drift, that
 * the drift alert goes pending and then firing (and none fires before the drift), that
 * every dashboard query returns data, and that the fleet PSI on this one replica agrees with
 * its /monitoring. It draws the dashboard's main panels from Prometheus's answers
 * (docs/images/monitoring-*.png with UPDATE_DOCS_IMAGES=1). About a minute and a half.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { SERVICE_SCRIPT, startChildServer, type ChildServer } from '../../devkit/child-service.js';
import { REPO_ROOT, skipWithoutShared } from '../../devkit/shared-data.js';
import { concreteQuery, dashboardQueries, readDashboard } from './dashboard.js';
import { driftStream, post, sendTexts, SQUAD_QUESTIONS } from './drift-load.js';
import { renderPanels } from './panel-charts.js';
import { PrometheusServer, type ActiveAlert } from './prometheus-server.js';
import { RULES_FILE, skipWithoutPrometheus } from './promtool.js';

const PSI = 'feature:sentiment_monitor_bin_texts:psi10m';
const DRIFT_ALERTS = new Set(['SentimentAPIInputDrift', 'SentimentAPIInputDriftWarning']);
/** Each phase: 720 texts, one a request, from 4 clients, about 50 requests a second. */
const PHASE = { count: 720, lanes: 4, paceMs: 80 } as const;
/** Grafana's $__rate_interval for a 1 s scrape and a 1 s step: max(step + scrape, 4 × scrape). */
const RATE_INTERVAL = '4s';
/**
 * |fleet PSI − /monitoring's PSI| allowed on one replica: float rounding only (sums in another
 * order); runs on this machine differed by at most 2e-16.
 */
const AGREEMENT = 1e-9;
/** Malformed /predict bodies sent during the first phase, and the refusal type of each. */
const MALFORMED: readonly { body: unknown; type: string }[] = [
  { body: { texts: ['a misspelt key'] }, type: 'missing' },
  { body: { text: 'not a list' }, type: 'list_type' },
  { body: { text: [42] }, type: 'string_type' },
];

/** The shipped rules with every `for:` at 5 s; nothing else changes. */
function rulesForTest(): string {
  const source = readFileSync(RULES_FILE, 'utf8');
  const copy = source.replace(/^(\s+for: )\S+$/gm, '$15s');
  assert.notEqual(copy, source);
  return copy;
}

const now = (): number => Date.now() / 1000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface AlertSighting {
  readonly t: number;
  readonly alert: ActiveAlert;
}

const skip =
  skipWithoutPrometheus() ||
  skipWithoutShared(...SQUAD_QUESTIONS) ||
  skipWithoutShared('data', 'sst2', 'dev.tsv');

describe('the shipped rules and dashboard on a real Prometheus', { skip, timeout: 180_000 }, () => {
  let service: ChildServer | undefined;
  let prometheus: PrometheusServer | undefined;
  const sightings: AlertSighting[] = [];
  const times = { loadStart: 0, drift: 0, loadEnd: 0, settled: 0 };
  let monitoring: { features: { name: string; psi: number | null; texts: number }[] } | undefined;
  let fleetPsiAtEnd = new Map<string, number>();

  const prom = () => prometheus ?? assert.fail('prometheus is not running');

  before(async () => {
    service = await startChildServer(SERVICE_SCRIPT, { INFERENCE_WORKERS: '1', MONITOR: '1' });
    // The bundled model's own profile (SST-2 dev), as a user's `npm start` has it.
    const startReport = (await (
      await fetch(new URL('/monitoring', service.baseUrl), { signal: AbortSignal.timeout(10_000) })
    ).json()) as { reference: { source: string; labelled: boolean } };
    assert.deepEqual(
      startReport.reference,
      { ...startReport.reference, source: 'profile', labelled: true },
      'the bundled model ships a labelled reference profile',
    );
    const target = new URL(service.baseUrl).host;
    prometheus = await PrometheusServer.start({
      targets: [target],
      rules: { 'sentiment-api.rules.yaml': rulesForTest() },
      interval: '1s',
    });
    // The counters' first sample (all zeros) is in before the first text is sent.
    const deadline = Date.now() + 30_000;
    while ((await prom().query('count(sentiment_monitor_bin_texts_total)')).length === 0) {
      if (Date.now() > deadline) {
        const up = await prom().query('up');
        throw new Error(
          `no monitor counters scraped (up: ${JSON.stringify(up)}):\n${prom().log()}`,
        );
      }
      await sleep(250);
    }

    let polling = true;
    const poller = (async () => {
      while (polling) {
        const t = now();
        for (const alert of await prom().alerts())
          if (DRIFT_ALERTS.has(alert.labels.alertname ?? '')) sightings.push({ t, alert });
        await sleep(250);
      }
    })();

    const { reviews, drifted } = driftStream();
    const baseUrl = service.baseUrl;
    times.loadStart = now();
    // Phase 1: the reference's own distribution, labelled feedback, a few malformed requests.
    await Promise.all([
      sendTexts(
        baseUrl,
        reviews.map((row) => row.sentence),
        PHASE,
      ),
      (async () => {
        for (let i = 0; i < 10; i++) {
          const items = reviews.slice(i * 16, i * 16 + 16).map((row) => ({
            text: row.sentence,
            label_id: row.label,
          }));
          const answer = await post(baseUrl, '/feedback', { items });
          assert.equal(answer.status, 200, JSON.stringify(answer.body));
          const malformed = MALFORMED[i % MALFORMED.length] ?? assert.fail();
          const refused = await post(baseUrl, '/predict', malformed.body);
          assert.equal(refused.status, 422);
          assert.match(JSON.stringify(refused.body), new RegExp(`"type":"${malformed.type}"`));
          await sleep(1000);
        }
      })(),
    ]);
    // Phase 2: questions and long texts.
    times.drift = now();
    await sendTexts(baseUrl, drifted, PHASE);
    times.loadEnd = now();

    // The alert has 5 s of `for:`; give it until 30 s after the load.
    const firingBy = Date.now() + 30_000;
    while (
      !sightings.some(
        (s) => s.alert.labels.alertname === 'SentimentAPIInputDrift' && s.alert.state === 'firing',
      ) &&
      Date.now() < firingBy
    )
      await sleep(250);
    polling = false;
    await poller;

    // Two more scrapes and evaluations after the last text: both views hold the same counts.
    await sleep(3000);
    times.settled = now();
    const res = await fetch(new URL('/monitoring', baseUrl), {
      signal: AbortSignal.timeout(10_000),
    });
    assert.equal(res.status, 200);
    monitoring = (await res.json()) as typeof monitoring;
    fleetPsiAtEnd = new Map(
      (await prom().query(PSI, times.settled)).map((s) => [
        s.metric.feature ?? '',
        Number(s.value[1]),
      ]),
    );
  });

  after(async () => {
    await prometheus?.stop();
    await service?.stop();
  });

  test('every shipped rule evaluates without an error', async () => {
    const rules = await prom().ruleHealth();
    assert.ok(rules.length > 20);
    assert.deepEqual(
      rules
        .filter((rule) => rule.health !== 'ok')
        .map((rule) => `${rule.name}: ${rule.health} ${rule.lastError ?? ''}`),
      [],
    );
  });

  test('the fleet PSI is recorded, under the warning band before the drift and past the alert band after', async () => {
    const series = await prom().queryRange(PSI, times.loadStart, times.settled, 1);
    const features = new Map(series.map((s) => [s.metric.feature ?? '', s.values]));
    assert.ok(features.has('wordpieces') && features.has('truncated'), [...features.keys()].join());
    const at = (feature: string, t: number): number => {
      const values = features.get(feature) ?? [];
      const last = values.filter(([time]) => time <= t).at(-1);
      return last ? Number(last[1]) : Number.NaN;
    };
    for (const feature of features.keys())
      assert.ok(
        at(feature, times.drift) < 0.1,
        `${feature} before the drift: ${at(feature, times.drift)}`,
      );
    for (const feature of ['wordpieces', 'truncated'])
      assert.ok(
        at(feature, times.settled) > 0.25,
        `${feature} after the drift: ${at(feature, times.settled)}`,
      );
  });

  test('the drift alert goes pending, then firing, after the drift; none fires before it', () => {
    // On in-distribution traffic a feature may be past its threshold for an evaluation or two
    // by chance (pending); holding it for `for:` is what makes an alert, and none may fire.
    assert.deepEqual(
      sightings
        .filter((s) => s.t < times.drift && s.alert.state === 'firing')
        .map((s) => `${s.alert.labels.alertname} ${s.alert.labels.feature}`),
      [],
      'no drift alert fires on in-distribution traffic',
    );
    const drift = sightings.filter(
      (s) => s.alert.labels.alertname === 'SentimentAPIInputDrift' && s.t >= times.drift,
    );
    const pending = drift.find((s) => s.alert.state === 'pending');
    const firing = drift.find((s) => s.alert.state === 'firing');
    assert.ok(pending, 'pending seen');
    assert.ok(firing, 'firing seen');
    assert.ok(pending.t < firing.t);
    assert.equal(firing.alert.labels.reason, 'retraining_candidate');
  });

  test('every dashboard query returns data over the run', async () => {
    const empty: string[] = [];
    for (const { panel, target } of dashboardQueries(readDashboard())) {
      const expr = concreteQuery(target.expr, RATE_INTERVAL);
      const series = await prom().queryRange(expr, times.loadStart, times.settled, 1);
      const finite = series.some((s) => s.values.some(([, v]) => Number.isFinite(Number(v))));
      if (!finite) empty.push(`${panel.title} / ${target.refId}: ${expr}`);
    }
    assert.deepEqual(empty, []);
  });

  test("one replica: the fleet PSI equals /monitoring's, feature by feature", () => {
    // The same counts (all since the start: the run is shorter than both windows and holds
    // fewer texts than the window's cap), the same share floor and formula. increase()
    // extrapolates to the window's edges, but by the same factor for every bin of a target
    // whose counters all start at 0, as here, so the shares, and the PSI, do not move.
    const report = monitoring ?? assert.fail('no /monitoring report');
    let compared = 0;
    for (const feature of report.features) {
      if (feature.psi === null) continue;
      const fleet = fleetPsiAtEnd.get(feature.name);
      assert.ok(fleet !== undefined, `${feature.name}: no fleet PSI`);
      assert.ok(
        Math.abs(fleet - feature.psi) <= AGREEMENT,
        `${feature.name}: fleet ${fleet}, /monitoring ${feature.psi}`,
      );
      compared++;
    }
    assert.ok(compared >= 9, `${compared} features compared`);
  });

  test('the main panels drawn from Prometheus (docs/images/monitoring-*.png)', async () => {
    const out =
      process.env.UPDATE_DOCS_IMAGES === '1'
        ? join(REPO_ROOT, 'docs', 'images')
        : mkdtempSync(join(tmpdir(), 'sentiment-panels-'));
    try {
      const charts = await renderPanels(prom(), readDashboard(), times, RATE_INTERVAL);
      assert.ok(charts.length >= 4);
      for (const { name, chart } of charts) {
        // A PNG with its signature, and more than a blank canvas.
        assert.deepEqual([...chart.png.subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47]);
        assert.ok(chart.png.length > 10_000, `${name}: ${chart.png.length} bytes`);
        writeFileSync(join(out, `monitoring-${name}.png`), chart.png);
      }
    } finally {
      if (process.env.UPDATE_DOCS_IMAGES !== '1') rmSync(out, { recursive: true, force: true });
    }
  });
});
