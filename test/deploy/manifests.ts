/**
 * Checks for what `kubectl kustomize` renders from deploy/k8s (test/deploy/manifests.test.ts):
 * every object against the Kubernetes, Istio and Prometheus Operator schemas of the pinned
 * kubernetes-models packages (values at run time, unknown fields through tsc), every
 * reference between objects after kustomize's renaming, and the project's policy for
 * containers. Each check returns problems as sentences; none means the overlay is sound.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { REPO_ROOT } from '../../devkit/shared-data.js';

const run = promisify(execFile);

/** A rendered object, as loosely as YAML gives it. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  // Everything else is read through the accessors below.
  [field: string]: unknown;
}

/** Where each kind's model lives: `<module>` exports a class named as the kind. */
const MODELS: Record<string, string> = {
  'v1/ConfigMap': 'kubernetes-models/v1',
  'v1/Namespace': 'kubernetes-models/v1',
  'v1/Secret': 'kubernetes-models/v1',
  'v1/Service': 'kubernetes-models/v1',
  'v1/ServiceAccount': 'kubernetes-models/v1',
  'apps/v1/Deployment': 'kubernetes-models/apps/v1',
  'autoscaling/v2/HorizontalPodAutoscaler': 'kubernetes-models/autoscaling/v2',
  'policy/v1/PodDisruptionBudget': 'kubernetes-models/policy/v1',
  'networking.k8s.io/v1/NetworkPolicy': 'kubernetes-models/networking.k8s.io/v1',
  'networking.istio.io/v1/Gateway': '@kubernetes-models/istio/networking.istio.io/v1',
  'networking.istio.io/v1/VirtualService': '@kubernetes-models/istio/networking.istio.io/v1',
  'networking.istio.io/v1/DestinationRule': '@kubernetes-models/istio/networking.istio.io/v1',
  'security.istio.io/v1/PeerAuthentication': '@kubernetes-models/istio/security.istio.io/v1',
  'security.istio.io/v1/RequestAuthentication': '@kubernetes-models/istio/security.istio.io/v1',
  'security.istio.io/v1/AuthorizationPolicy': '@kubernetes-models/istio/security.istio.io/v1',
  'monitoring.coreos.com/v1/ServiceMonitor':
    '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1',
  'monitoring.coreos.com/v1/PrometheusRule':
    '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1',
};

const typeKey = (object: K8sObject) => `${object.apiVersion}/${object.kind}`;
const describe = (object: K8sObject) => `${object.kind} ${object.metadata?.name}`;

/** `kubectl kustomize <dir>`, parsed. */
export async function render(dir: string): Promise<K8sObject[]> {
  const { stdout } = await run('kubectl', ['kustomize', dir], { maxBuffer: 16 * 1024 * 1024 });
  return parseAllDocuments(stdout)
    .map((document) => document.toJS() as K8sObject | null)
    .filter((object): object is K8sObject => object !== null);
}

/** Values against each kind's schema (types, enums, required fields, formats). */
export async function schemaProblems(objects: readonly K8sObject[]): Promise<string[]> {
  const problems: string[] = [];
  for (const object of objects) {
    const module = MODELS[typeKey(object)];
    if (!module) {
      problems.push(
        `${describe(object)}: no schema for ${typeKey(object)} (a kind this project does not check)`,
      );
      continue;
    }
    const Model = (
      (await import(module)) as Record<string, new (data: unknown) => { validate(): void }>
    )[object.kind];
    if (!Model) throw new Error(`${module} has no ${object.kind}`);
    try {
      new Model(object).validate();
    } catch (error) {
      problems.push(`${describe(object)}: ${(error as Error).message}`);
    }
  }
  return problems;
}

/**
 * Unknown fields, which the schemas' validators let through: every object written into a
 * TypeScript file as an object literal passed to its model's constructor, then `tsc`, whose
 * excess-property check names any field the type does not have. One tsc run for all `sets`.
 */
export async function typeProblems(
  sets: Readonly<Record<string, readonly K8sObject[]>>,
): Promise<string[]> {
  const dir = join(REPO_ROOT, 'generated', `manifest-types-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  try {
    const files: string[] = [];
    for (const [name, objects] of Object.entries(sets)) {
      const imports = new Map<string, Set<string>>();
      const lines = objects.map((object, index) => {
        const module = MODELS[typeKey(object)];
        if (!module) return `// ${describe(object)}: no model`;
        const kinds = imports.get(module) ?? new Set<string>();
        imports.set(module, kinds.add(object.kind));
        // The constructor takes the object without apiVersion and kind, which it sets itself.
        const data: Record<string, unknown> = { ...object };
        delete data.apiVersion;
        delete data.kind;
        return `// ${describe(object)}\nexport const object${index} = new ${object.kind}(${JSON.stringify(data, null, 2)});`;
      });
      const file = `${name.replace(/[^\w-]/g, '_')}.ts`;
      const header = [...imports].map(
        ([module, kinds]) => `import { ${[...kinds].join(', ')} } from '${module}';`,
      );
      writeFileSync(join(dir, file), `${[...header, ...lines].join('\n')}\n`);
      files.push(file);
    }
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          noEmit: true,
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          target: 'ES2022',
          skipLibCheck: true,
          types: [],
        },
        files,
      }),
    );
    try {
      await run(
        process.execPath,
        [join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', dir],
        {
          maxBuffer: 16 * 1024 * 1024,
        },
      );
      return [];
    } catch (error) {
      const output = (error as { stdout?: string }).stdout ?? String(error);
      return output
        .split('\n')
        .filter((line) => line.includes('error TS'))
        .map((line) => line.replace(/^.*?generated\/manifest-types-\d+\//, ''));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// --- accessors -------------------------------------------------------------------------------

type Json = Record<string, unknown>;
const field = (value: unknown, ...path: string[]): unknown =>
  path.reduce<unknown>(
    (at, key) => (at && typeof at === 'object' ? (at as Json)[key] : undefined),
    value,
  );
const list = (value: unknown): Json[] => (Array.isArray(value) ? (value as Json[]) : []);
const labelsOf = (value: unknown): Record<string, string> =>
  (value ?? {}) as Record<string, string>;

/** Pods' labels, containers, spec and owner, of every workload. */
interface PodTemplate {
  readonly owner: K8sObject;
  readonly labels: Record<string, string>;
  readonly spec: Json;
  readonly containers: Json[];
}

function podTemplates(objects: readonly K8sObject[]): PodTemplate[] {
  return objects
    .filter((object) => ['Deployment', 'StatefulSet', 'DaemonSet'].includes(object.kind))
    .map((owner) => {
      const spec = (field(owner, 'spec', 'template', 'spec') ?? {}) as Json;
      return {
        owner,
        labels: labelsOf(field(owner, 'spec', 'template', 'metadata', 'labels')),
        spec,
        containers: [...list(spec.initContainers), ...list(spec.containers)],
      };
    });
}

const matches = (selector: Record<string, string>, labels: Record<string, string>) =>
  Object.keys(selector).length > 0 &&
  Object.entries(selector).every(([key, value]) => labels[key] === value);

function named(
  objects: readonly K8sObject[],
  kind: string,
  name: string,
  namespace?: string,
): K8sObject | undefined {
  return objects.find(
    (object) =>
      object.kind === kind &&
      object.metadata.name === name &&
      (namespace === undefined || (object.metadata.namespace ?? namespace) === namespace),
  );
}

/**
 * A Service an Istio host names, as Istio resolves it: a short name in the object's namespace,
 * `name.namespace`, or `name.namespace.svc.cluster.local`.
 */
function serviceForHost(
  objects: readonly K8sObject[],
  host: string,
  namespace: string | undefined,
) {
  const [name = '', hostNamespace = namespace] = host
    .replace(/\.svc\.cluster\.local$/, '')
    .split('.');
  return named(objects, 'Service', name, hostNamespace);
}

/** Every reference between objects resolves: names, selectors, ports, hosts, identities. */
export function referenceProblems(objects: readonly K8sObject[]): string[] {
  const problems: string[] = [];
  const pods = podTemplates(objects);
  const selects = (object: K8sObject, selector: Record<string, string>, what: string) => {
    if (!pods.some((pod) => matches(selector, pod.labels)))
      problems.push(
        `${describe(object)}: ${what} ${JSON.stringify(selector)} matches no pod template`,
      );
  };

  for (const pod of pods) {
    const selector = labelsOf(field(pod.owner, 'spec', 'selector', 'matchLabels'));
    if (!matches(selector, pod.labels))
      problems.push(`${describe(pod.owner)}: selector does not match its template`);
    const account = pod.spec.serviceAccountName as string | undefined;
    if (account && !named(objects, 'ServiceAccount', account, pod.owner.metadata.namespace))
      problems.push(`${describe(pod.owner)}: ServiceAccount ${account} does not exist`);
    for (const container of pod.containers) {
      for (const source of list(container.envFrom)) {
        for (const [key, kind] of [
          ['configMapRef', 'ConfigMap'],
          ['secretRef', 'Secret'],
        ] as const) {
          const ref = source[key] as { name: string; optional?: boolean } | undefined;
          if (ref && !ref.optional && !named(objects, kind, ref.name, pod.owner.metadata.namespace))
            problems.push(`${describe(pod.owner)}: ${kind} ${ref.name} does not exist`);
        }
      }
      const portNames = new Set(list(container.ports).map((port) => port.name as string));
      for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe']) {
        const port =
          field(container, probe, 'httpGet', 'port') ??
          field(container, probe, 'tcpSocket', 'port');
        if (typeof port === 'string' && !portNames.has(port))
          problems.push(
            `${describe(pod.owner)}: ${probe} names port ${port}, which the container does not have`,
          );
      }
    }
    for (const volume of list(pod.spec.volumes)) {
      const configMap = field(volume, 'configMap', 'name') as string | undefined;
      if (configMap && !named(objects, 'ConfigMap', configMap, pod.owner.metadata.namespace))
        problems.push(`${describe(pod.owner)}: volume ConfigMap ${configMap} does not exist`);
      const secret = field(volume, 'secret', 'secretName') as string | undefined;
      if (
        secret &&
        field(volume, 'secret', 'optional') !== true &&
        !named(objects, 'Secret', secret)
      )
        problems.push(`${describe(pod.owner)}: volume Secret ${secret} does not exist`);
    }
  }

  for (const object of objects) {
    const namespace = object.metadata.namespace;
    switch (object.kind) {
      case 'Service': {
        const selector = labelsOf(field(object, 'spec', 'selector'));
        const targets = pods.filter((pod) => matches(selector, pod.labels));
        if (targets.length === 0)
          problems.push(
            `${describe(object)}: selector ${JSON.stringify(selector)} matches no pod template`,
          );
        for (const port of list(field(object, 'spec', 'ports'))) {
          if (typeof port.targetPort !== 'string') continue;
          const found = targets.some((pod) =>
            pod.containers.some((container) =>
              list(container.ports).some((p) => p.name === port.targetPort),
            ),
          );
          if (targets.length > 0 && !found)
            problems.push(
              `${describe(object)}: targetPort ${port.targetPort} is no container port`,
            );
        }
        break;
      }
      case 'PodDisruptionBudget':
      case 'NetworkPolicy':
        selects(
          object,
          labelsOf(
            field(
              object,
              'spec',
              object.kind === 'NetworkPolicy' ? 'podSelector' : 'selector',
              'matchLabels',
            ),
          ),
          'selector',
        );
        break;
      case 'HorizontalPodAutoscaler': {
        const target = field(object, 'spec', 'scaleTargetRef') as { kind: string; name: string };
        if (!named(objects, target.kind, target.name, namespace))
          problems.push(
            `${describe(object)}: scale target ${target.kind} ${target.name} does not exist`,
          );
        break;
      }
      case 'VirtualService': {
        const hosts = (field(object, 'spec', 'hosts') ?? []) as string[];
        for (const gateway of (field(object, 'spec', 'gateways') ?? []) as string[]) {
          if (gateway === 'mesh') continue;
          const [gatewayNamespace, gatewayName] = gateway.includes('/')
            ? gateway.split('/')
            : [namespace, gateway];
          const found = named(objects, 'Gateway', gatewayName ?? '', gatewayNamespace);
          if (!found) {
            problems.push(`${describe(object)}: gateway ${gateway} does not exist`);
            continue;
          }
          const served = list(field(found, 'spec', 'servers')).flatMap(
            (server) => (server.hosts ?? []) as string[],
          );
          for (const host of hosts)
            if (
              !served.some(
                (pattern) =>
                  pattern === host || pattern === '*' || pattern.replace(/^.*\//, '') === host,
              )
            )
              problems.push(
                `${describe(object)}: host ${host} is not served by gateway ${gateway}`,
              );
        }
        for (const route of list(field(object, 'spec', 'http'))) {
          for (const destination of list(route.route)) {
            const host = field(destination, 'destination', 'host') as string;
            const service = serviceForHost(objects, host, namespace);
            const port = field(destination, 'destination', 'port', 'number');
            if (!service)
              problems.push(`${describe(object)}: destination host ${host} is no Service`);
            else if (
              port !== undefined &&
              !list(field(service, 'spec', 'ports')).some((p) => p.port === port)
            )
              problems.push(`${describe(object)}: Service ${host} has no port ${String(port)}`);
          }
        }
        break;
      }
      case 'DestinationRule': {
        const host = field(object, 'spec', 'host') as string;
        if (!serviceForHost(objects, host, namespace))
          problems.push(`${describe(object)}: host ${host} is no Service`);
        break;
      }
      case 'RequestAuthentication':
      case 'AuthorizationPolicy': {
        selects(object, labelsOf(field(object, 'spec', 'selector', 'matchLabels')), 'selector');
        const ours = new Set(objects.map((o) => o.metadata.namespace).filter(Boolean));
        for (const rule of list(field(object, 'spec', 'rules'))) {
          for (const from of list(rule.from)) {
            for (const principal of (field(from, 'source', 'principals') ?? []) as string[]) {
              const identity = /^cluster\.local\/ns\/([^/]+)\/sa\/([^/]+)$/.exec(principal);
              // Identities in namespaces this overlay does not create (istio-ingress) are the cluster's.
              if (
                identity &&
                ours.has(identity[1]) &&
                !named(objects, 'ServiceAccount', identity[2] ?? '', identity[1])
              )
                problems.push(
                  `${describe(object)}: principal ${principal} is no ServiceAccount here`,
                );
            }
          }
        }
        break;
      }
      case 'ServiceMonitor': {
        const selector = labelsOf(field(object, 'spec', 'selector', 'matchLabels'));
        const services = objects.filter(
          (o) =>
            o.kind === 'Service' &&
            matches(selector, labelsOf(o.metadata.labels)) &&
            o.metadata.namespace === namespace,
        );
        if (services.length === 0)
          problems.push(
            `${describe(object)}: selector ${JSON.stringify(selector)} matches no Service`,
          );
        for (const endpoint of list(field(object, 'spec', 'endpoints'))) {
          if (
            !services.some((service) =>
              list(field(service, 'spec', 'ports')).some((p) => p.name === endpoint.port),
            )
          )
            problems.push(
              `${describe(object)}: endpoint port ${String(endpoint.port)} is no port of the selected Service`,
            );
        }
        break;
      }
      case 'ConfigMap': {
        const redis = field(object, 'data', 'REDIS_URL') as string | undefined;
        const address = redis ? /^rediss?:\/\/(?:[^@]*@)?([^:/]+)(?::(\d+))?/.exec(redis) : null;
        if (address) {
          const service = serviceForHost(objects, address[1] ?? '', namespace);
          const port = Number(address[2] ?? 6379);
          if (!service || !list(field(service, 'spec', 'ports')).some((p) => p.port === port))
            problems.push(`${describe(object)}: REDIS_URL ${redis} names no Service port`);
        }
        break;
      }
    }
  }
  return problems;
}

/** The main process's own deadline past SHUTDOWN_GRACE_MS (HARD_STOP_AFTER_GRACE_MS in src/main.ts). */
const HARD_STOP_AFTER_GRACE_SECONDS = 10;

/**
 * The project's rules for every container: CPU and memory requests and limits, readiness and
 * liveness probes, non-root, read-only root filesystem, no privilege escalation, every
 * capability dropped, seccomp RuntimeDefault, a pinned image; and for the API, a termination
 * grace period that covers the preStop delay plus the drain its ConfigMap configures.
 */
export function policyProblems(objects: readonly K8sObject[]): string[] {
  const problems: string[] = [];
  for (const pod of podTemplates(objects)) {
    const where = describe(pod.owner);
    const podSecurity = (pod.spec.securityContext ?? {}) as Json;
    for (const container of list(pod.spec.containers)) {
      const at = `${where} container ${String(container.name)}`;
      for (const kind of ['requests', 'limits'])
        for (const resource of ['cpu', 'memory'])
          if (field(container, 'resources', kind, resource) === undefined)
            problems.push(`${at}: no ${resource} ${kind}`);
      for (const probe of ['readinessProbe', 'livenessProbe'])
        if (!container[probe]) problems.push(`${at}: no ${probe}`);
      const security = (container.securityContext ?? {}) as Json;
      if ((security.runAsNonRoot ?? podSecurity.runAsNonRoot) !== true)
        problems.push(`${at}: runAsNonRoot is not true`);
      if ((security.runAsUser ?? podSecurity.runAsUser) === 0)
        problems.push(`${at}: runs as uid 0`);
      if (security.readOnlyRootFilesystem !== true)
        problems.push(`${at}: root filesystem is not read-only`);
      if (security.allowPrivilegeEscalation !== false)
        problems.push(`${at}: privilege escalation is not disabled`);
      if (security.privileged === true) problems.push(`${at}: privileged`);
      if (!((field(security, 'capabilities', 'drop') ?? []) as string[]).includes('ALL'))
        problems.push(`${at}: capabilities are not all dropped`);
      const seccomp =
        field(security, 'seccompProfile', 'type') ?? field(podSecurity, 'seccompProfile', 'type');
      if (seccomp !== 'RuntimeDefault' && seccomp !== 'Localhost')
        problems.push(`${at}: no seccomp profile`);
      const image = String(container.image ?? '');
      if (!/:[\w][\w.-]*$|@sha256:[0-9a-f]{64}$/.test(image) || image.endsWith(':latest'))
        problems.push(`${at}: image ${image} is not pinned to a tag or digest`);
    }
    const configMap = list(list(pod.spec.containers)[0]?.envFrom)
      .map((source) => field(source, 'configMapRef', 'name') as string | undefined)
      .map((name) =>
        name ? named(objects, 'ConfigMap', name, pod.owner.metadata.namespace) : undefined,
      )
      .find(Boolean);
    const grace = field(configMap, 'data', 'SHUTDOWN_GRACE_MS');
    if (grace !== undefined) {
      const command = (field(
        list(pod.spec.containers)[0],
        'lifecycle',
        'preStop',
        'exec',
        'command',
      ) ?? []) as string[];
      const preStop = command[0] === 'sleep' ? Number(command[1]) : 0;
      const drain = Number(field(configMap, 'data', 'DRAIN_DELAY_MS') ?? 0) / 1000;
      const needed = preStop + Number(grace) / 1000 + drain + HARD_STOP_AFTER_GRACE_SECONDS;
      const period = Number(pod.spec.terminationGracePeriodSeconds ?? 30);
      if (period <= needed)
        problems.push(
          `${where}: terminationGracePeriodSeconds ${period} must exceed preStop + drain + grace + hard stop (${needed} s)`,
        );
      if (preStop === 0 && drain === 0)
        problems.push(
          `${where}: neither a preStop sleep nor DRAIN_DELAY_MS: endpoints may still send to a stopping pod`,
        );
    }
  }
  return problems;
}

/** All the checks but the tsc one, for one rendered overlay. */
export async function problemsOf(objects: readonly K8sObject[]): Promise<string[]> {
  return [
    ...(await schemaProblems(objects)),
    ...referenceProblems(objects),
    ...policyProblems(objects),
  ];
}
