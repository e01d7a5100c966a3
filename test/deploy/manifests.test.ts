/**
 * deploy/k8s: every overlay renders with `kubectl kustomize`, every object validates against
 * its schema (values and unknown fields), references resolve after kustomize's renaming, and
 * every container follows the policy (test/deploy/manifests.ts). Overlays broken on purpose,
 * in a copy of the tree, must fail the same checks.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { REPO_ROOT } from '../../devkit/shared-data.js';
import {
  problemsOf,
  referenceProblems,
  render,
  typeProblems,
  type K8sObject,
} from './manifests.js';

const K8S = join(REPO_ROOT, 'deploy', 'k8s');
const OVERLAYS = ['base', 'overlays/dev', 'overlays/prod', 'overlays/prod-queue-depth'];

/** A test's `skip` option: the reason when kubectl is missing; REQUIRE_ALL=1 fails instead. */
function skipWithoutKubectl(): string | false {
  try {
    execFileSync('kubectl', ['version', '--client'], { stdio: 'ignore' });
    return false;
  } catch {
    if (process.env.REQUIRE_ALL === '1')
      throw new Error('REQUIRE_ALL=1 but kubectl is not installed');
    return 'kubectl is not installed (it renders deploy/k8s with its built-in kustomize)';
  }
}

const find = (objects: readonly K8sObject[], kind: string, name?: string) =>
  objects.filter((object) => object.kind === kind && (!name || object.metadata.name === name));

describe('deploy/k8s', { skip: skipWithoutKubectl(), timeout: 120_000 }, () => {
  const rendered = new Map<string, K8sObject[]>();
  before(async () => {
    for (const overlay of OVERLAYS) rendered.set(overlay, await render(join(K8S, overlay)));
  });
  const objectsOf = (overlay: string) =>
    rendered.get(overlay) ?? assert.fail(`${overlay} not rendered`);

  for (const overlay of OVERLAYS) {
    test(`${overlay}: schemas, references and policy hold`, async () => {
      assert.deepEqual(await problemsOf(objectsOf(overlay)), []);
    });
  }

  test('no object has a field its type does not know (tsc over every overlay)', async () => {
    assert.deepEqual(await typeProblems(Object.fromEntries(rendered)), []);
  });

  test('dev: one replica, debug logs, the locally built image, no autoscaler', () => {
    const objects = objectsOf('overlays/dev');
    const [api] = find(objects, 'Deployment', 'sentiment-api');
    assert.equal(api?.spec && (api.spec as { replicas: number }).replicas, 1);
    const [config] = find(objects, 'ConfigMap');
    assert.equal((config?.data as Record<string, string>).LOG_LEVEL, 'debug');
    assert.match(JSON.stringify(api), /"image":"sentiment-api:dev"/);
    assert.deepEqual(find(objects, 'HorizontalPodAutoscaler'), []);
  });

  test('prod: 3+ replicas, STRICT mTLS, JWT, Istio routing, Prometheus Operator objects', () => {
    const objects = objectsOf('overlays/prod');
    const [hpa] = find(objects, 'HorizontalPodAutoscaler');
    assert.ok(((hpa?.spec as { minReplicas: number }).minReplicas ?? 0) >= 3);
    const [peer] = find(objects, 'PeerAuthentication');
    assert.equal((peer?.spec as { mtls: { mode: string } }).mtls.mode, 'STRICT');
    for (const kind of [
      'Gateway',
      'VirtualService',
      'DestinationRule',
      'RequestAuthentication',
      'AuthorizationPolicy',
      'ServiceMonitor',
      'PrometheusRule',
    ])
      assert.ok(find(objects, kind).length > 0, `prod has a ${kind}`);
    assert.ok(
      objects.every(
        (object) => object.kind === 'Namespace' || object.metadata.namespace === 'sentiment',
      ),
    );
  });

  test('the queue-depth variant scales on sentiment_queue_depth', () => {
    const [hpa] = find(objectsOf('overlays/prod-queue-depth'), 'HorizontalPodAutoscaler');
    assert.match(JSON.stringify(hpa), /"name":"sentiment_queue_depth"/);
  });

  describe('a broken overlay fails', () => {
    let tree: string;
    before(() => {
      tree = mkdtempSync(join(tmpdir(), 'sentiment-k8s-'));
      cpSync(K8S, tree, { recursive: true });
    });
    after(() => rmSync(tree, { recursive: true, force: true }));

    /** An overlay on top of prod with `body` added to its kustomization, rendered. */
    async function broken(name: string, body: string): Promise<K8sObject[]> {
      const dir = join(tree, 'overlays', name);
      mkdirSync(dir, { recursive: true });
      writeFileSync(
        join(dir, 'kustomization.yaml'),
        `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [../prod]\n${body}`,
      );
      return render(dir);
    }
    const jsonPatch = (kind: string, name: string, ops: string) =>
      `patches:\n  - target: { kind: ${kind}, name: ${name} }\n    patch: |-\n${ops.replace(/^/gm, '      ')}\n`;

    test('a VirtualService naming a gateway that does not exist', async () => {
      const objects = await broken(
        'wrong-gateway',
        jsonPatch(
          'VirtualService',
          'sentiment-api',
          '- op: replace\n  path: /spec/gateways/0\n  value: sentiment-gatway',
        ),
      );
      assert.match(
        (await problemsOf(objects)).join('\n'),
        /gateway sentiment-gatway does not exist/,
      );
    });

    test('a container without limits', async () => {
      const objects = await broken(
        'no-limits',
        jsonPatch(
          'Deployment',
          'sentiment-api',
          '- op: remove\n  path: /spec/template/spec/containers/0/resources/limits',
        ),
      );
      const problems = (await problemsOf(objects)).join('\n');
      assert.match(problems, /container api: no cpu limits/);
      assert.match(problems, /container api: no memory limits/);
    });

    test('a writable root filesystem and a missing readiness probe', async () => {
      const objects = await broken(
        'insecure',
        jsonPatch(
          'Deployment',
          'sentiment-api',
          '- op: replace\n  path: /spec/template/spec/containers/0/securityContext/readOnlyRootFilesystem\n  value: false\n- op: remove\n  path: /spec/template/spec/containers/0/readinessProbe',
        ),
      );
      const problems = (await problemsOf(objects)).join('\n');
      assert.match(problems, /root filesystem is not read-only/);
      assert.match(problems, /no readinessProbe/);
    });

    test('a grace period shorter than the drain', async () => {
      const objects = await broken(
        'short-grace',
        jsonPatch(
          'Deployment',
          'sentiment-api',
          '- op: replace\n  path: /spec/template/spec/terminationGracePeriodSeconds\n  value: 30',
        ),
      );
      assert.match(
        (await problemsOf(objects)).join('\n'),
        /terminationGracePeriodSeconds 30 must exceed/,
      );
    });

    test('a misspelt field (tsc) and a wrong value type (schema)', async () => {
      const misspelt = await broken(
        'misspelt',
        jsonPatch(
          'Deployment',
          'sentiment-api',
          '- op: add\n  path: /spec/template/spec/containers/0/resorces\n  value: {}',
        ),
      );
      assert.match(
        (await typeProblems({ misspelt })).join('\n'),
        /'"resorces"' does not exist in type 'IContainer'/,
      );
      const wrongType = await broken(
        'wrong-type',
        jsonPatch(
          'VirtualService',
          'sentiment-api',
          '- op: replace\n  path: /spec/http/0/retries/attempts\n  value: two',
        ),
      );
      assert.match((await problemsOf(wrongType)).join('\n'), /attempts must be integer/);
    });

    test('renamed objects: kustomize rewrites Istio references only with kustomizeconfig.yaml', async () => {
      // With the name references prod declares, a prefix renames the Gateway and Service and
      // the VirtualService and DestinationRule follow. What no transformer can rewrite, a
      // Redis address inside a setting and a SPIFFE identity, is reported (docs/deploy.md).
      assert.deepEqual(referenceProblems(await broken('prefixed', 'namePrefix: blue-\n')), [
        'ConfigMap blue-sentiment-api-794k68859f: REDIS_URL redis://sentiment-redis:6379 names no Service port',
        'AuthorizationPolicy blue-sentiment-redis: principal cluster.local/ns/sentiment/sa/sentiment-api is no ServiceAccount here',
      ]);
      // Without them, the Istio objects keep the old names: every reference is caught.
      writeFileSync(join(tree, 'overlays', 'prod', 'kustomizeconfig.yaml'), 'nameReference: []\n');
      const problems = referenceProblems(
        await broken('prefixed-unmapped', 'namePrefix: blue-\n'),
      ).join('\n');
      assert.match(problems, /gateway sentiment-gateway does not exist/);
      assert.match(problems, /destination host sentiment-api is no Service/);
      assert.match(
        problems,
        /DestinationRule blue-sentiment-api: host sentiment-api is no Service/,
      );
    });
  });
});
