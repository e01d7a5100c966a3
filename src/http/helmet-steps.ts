import type { ServerResponse } from 'node:http';
import helmet, { type FastifyHelmetOptions } from '@fastify/helmet';
import Fastify, { type FastifyReply } from 'fastify';

/** One thing helmet does to a response, in the order it does it. */
type HeaderStep =
  | { readonly kind: 'set'; readonly name: string; readonly value: HeaderValue }
  | { readonly kind: 'remove'; readonly name: string };

type HeaderValue = string | number | readonly string[];

/** A route's own helmet options (@fastify/helmet merges them over the global ones). */
export type RouteHelmetOptions = Omit<FastifyHelmetOptions, 'global'>;

/**
 * What a recording leaves on a response, ready to replay: the headers removed and not set
 * again, then the headers set (their last values), names in lower case as Fastify keeps them.
 */
export interface HeaderPlan {
  readonly remove: readonly string[];
  readonly set: readonly (readonly [string, HeaderValue])[];
}

/** What helmet does to a response globally, and on a route under each named policy. */
export interface HelmetSteps<P extends string> {
  readonly global: HeaderPlan;
  readonly routes: Readonly<Record<P, HeaderPlan>>;
}

/**
 * Records, once, what @fastify/helmet does to a response under `options`, and on a route
 * whose `helmet` option is each of `policies`, by serving one request per policy from a
 * throwaway Fastify instance and logging the raw response's header calls. @fastify/helmet
 * rebuilds helmet's middleware and re-serialises every header (the CSP from its directives)
 * on every request; with constant options the result is the same each time, so replaying the
 * recording keeps helmet (and @fastify/helmet's own merging of route options) the source of
 * every header, without its per-request cost.
 */
export async function recordHelmetSteps<P extends string>(
  options: FastifyHelmetOptions,
  policies: Readonly<Record<P, RouteHelmetOptions>>,
): Promise<HelmetSteps<P>> {
  for (const policy of [options, ...Object.values<RouteHelmetOptions>(policies)]) {
    assertConstant(policy);
  }
  const probe = Fastify({ logger: false });
  let steps: HeaderStep[] | undefined;
  const recorded = new Map<string, readonly HeaderStep[]>();
  // Registered before helmet, so its hooks run after this one, on the recording response.
  probe.addHook('onRequest', (_request, reply, done) => {
    steps = [];
    record(reply.raw, (step) => steps?.push(step));
    done();
  });
  await probe.register(helmet, options);
  // The handler runs after every onRequest hook: what was recorded by then is helmet's alone
  // (Fastify's own headers, set when the answer is written, are not).
  const handler = (url: string) => () => {
    recorded.set(url, steps ?? []);
    steps = undefined;
    return '';
  };
  probe.get('/', handler('/'));
  const names = Object.keys(policies) as P[];
  for (const name of names) {
    probe.get(`/${name}`, { helmet: policies[name] }, handler(`/${name}`));
  }
  try {
    for (const url of ['/', ...names.map((name) => `/${name}`)]) {
      const res = await probe.inject({ url });
      if (res.statusCode !== 200) throw new Error(`recording helmet's headers: ${res.body}`);
    }
  } finally {
    await probe.close();
  }
  const plan = (url: string) => planOf(recorded.get(url) ?? []);
  const routes = Object.fromEntries(names.map((name) => [name, plan(`/${name}`)]));
  return { global: plan('/'), routes: routes as Record<P, HeaderPlan> };
}

/** The state `steps` leave, whatever the response had: the same headers removed and set. */
function planOf(steps: readonly HeaderStep[]): HeaderPlan {
  const set = new Map<string, HeaderValue>();
  const remove = new Set<string>();
  for (const step of steps) {
    const name = step.name.toLowerCase();
    if (step.kind === 'set') {
      set.set(name, step.value);
      remove.delete(name);
    } else {
      set.delete(name);
      remove.add(name);
    }
  }
  return { remove: [...remove], set: [...set] };
}

/**
 * Does to `reply` what helmet did to the recording response, through Fastify's own header
 * store rather than the raw response's: one raw `setHeader` would make Node merge every other
 * header of the answer through `setHeader` too (validated, lower-cased and copied twice),
 * where Fastify hands its store to `writeHead` whole. HTTP names are case-insensitive; Fastify
 * writes them in lower case. A header is only removed when present: `delete` would turn
 * Fastify's store into a slow dictionary for the rest of the request.
 */
export function replayHelmetSteps(reply: FastifyReply, plan: HeaderPlan): void {
  for (const name of plan.remove) if (reply.hasHeader(name)) reply.removeHeader(name);
  for (const [name, value] of plan.set) reply.header(name, value);
}

/** Wraps `res`'s header calls so each is also handed to `push`. */
function record(res: ServerResponse, push: (step: HeaderStep) => void): void {
  const setHeader = res.setHeader.bind(res);
  const removeHeader = res.removeHeader.bind(res);
  res.setHeader = (name: string, value: HeaderValue) => {
    push({ kind: 'set', name, value: Array.isArray(value) ? [...value] : value });
    return setHeader(name, value);
  };
  res.removeHeader = (name: string) => {
    push({ kind: 'remove', name });
    removeHeader(name);
  };
}

/**
 * A recording is only valid for options that answer every request alike: CSP nonces, or a
 * directive computed per request, would be frozen into the first value, so they stop the
 * start instead.
 */
function assertConstant(options: RouteHelmetOptions): void {
  if (options.enableCSPNonces === true) {
    throw new Error('helmet headers are recorded once: CSP nonces cannot be used');
  }
  const csp = options.contentSecurityPolicy;
  const directives = typeof csp === 'object' ? Object.values(csp.directives ?? {}) : [];
  const computed = directives.some(
    (value) =>
      typeof value === 'function' ||
      (Array.isArray(value) && value.some((item) => typeof item === 'function')),
  );
  if (computed) throw new Error('helmet headers are recorded once: a CSP directive is computed');
}
