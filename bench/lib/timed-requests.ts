/**
 * Timed HTTP loops of bench:serve against a server started with devkit/child-service.ts: the
 * service's throughput on cache misses, its idle latency, and the no-op server's held round trips.
 */
import { Client } from 'undici';

/**
 * Sequences/s of the service on cache misses: `clients` keep-alive connections, each sending
 * the next unsent sentence, one per request, until every one is answered.
 *
 * The load generator shares the machine's cores with the service it measures, and every
 * millisecond it spends per request is taken from the inference workers and added to each
 * client's round trip (docs/benchmarks.md, "int8"). So it is as lean as undici allows: the
 * bodies are serialised before the clock starts, and each request goes through undici's
 * `dispatch` with a handler that counts the answer's bytes and checks its status, instead
 * of `request()`'s stream and promise per answer. An answer is still read to its end.
 */
export async function missThroughput(
  baseUrl: string,
  sentences: readonly string[],
  clients: number,
): Promise<{ seqPerS: number; errors: number }> {
  const bodies = sentences.map((text) => Buffer.from(JSON.stringify({ text: [text] })));
  const { seconds, errors } = await closedLoop(
    baseUrl,
    clients,
    bodies.length,
    async (client, i) =>
      (await requestOnce(client, 'POST', '/predict', bodies[i] as Buffer)) ? 0 : 1,
  );
  return { seqPerS: sentences.length / seconds, errors };
}

/**
 * Iterations/s of the load profile's shape on a warm cache: `clients` keep-alive connections,
 * each running iterations of GET /health then POST /predict with `nextBody()`'s body (the
 * profile's mix: bodyPicker in src/load/profile.ts), until `iterations` are done. As lean as
 * missThroughput, for the same reason: what it spends is taken from the service.
 */
export async function cachedThroughput(
  baseUrl: string,
  nextBody: () => string,
  iterations: number,
  clients: number,
): Promise<{ iterationsPerS: number; errors: number }> {
  // The profile's mix has few distinct bodies: serialise each once.
  const buffers = new Map<string, Buffer>();
  const bodies = Array.from({ length: iterations }, () => {
    const json = nextBody();
    let buffer = buffers.get(json);
    if (!buffer) buffers.set(json, (buffer = Buffer.from(json)));
    return buffer;
  });
  const { seconds, errors } = await closedLoop(baseUrl, clients, iterations, async (client, i) => {
    const health = await requestOnce(client, 'GET', '/health');
    const predict = await requestOnce(client, 'POST', '/predict', bodies[i] as Buffer);
    return (health ? 0 : 1) + (predict ? 0 : 1);
  });
  return { iterationsPerS: iterations / seconds, errors };
}

/**
 * `clients` keep-alive connections, each running the next of `count` units of work until all
 * are done (a closed loop: a client sends again once answered): the seconds it took and the
 * errors the units counted.
 */
async function closedLoop(
  baseUrl: string,
  clients: number,
  count: number,
  unit: (client: Client, index: number) => Promise<number>,
): Promise<{ seconds: number; errors: number }> {
  let next = 0;
  let errors = 0;
  const connections = Array.from({ length: clients }, () => new Client(baseUrl));
  const start = performance.now();
  await Promise.all(
    connections.map(async (client) => {
      while (next < count) errors += await unit(client, next++);
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  await Promise.all(connections.map((c) => c.close()));
  return { seconds, errors };
}

const PREDICT_HEADERS = { 'content-type': 'application/json' };

/** One request: true when it was answered 200 with a body, read to its end. */
function requestOnce(
  client: Client,
  method: 'GET' | 'POST',
  path: string,
  body?: Buffer,
): Promise<boolean> {
  return new Promise((resolve, reject) => {
    let status = 0;
    let bytes = 0;
    client.dispatch(
      body === undefined ? { method, path } : { method, path, headers: PREDICT_HEADERS, body },
      {
        // undici takes a handler with onRequestStart for its current handler interface.
        onRequestStart: () => undefined,
        onResponseStart: (_controller, statusCode) => {
          status = statusCode;
        },
        onResponseData: (_controller, chunk) => {
          bytes += chunk.length;
        },
        onResponseEnd: () => resolve(status === 200 && bytes > 0),
        onResponseError: (_controller, error) => reject(error),
      },
    );
  });
}

/** Latencies (ms, ascending) of `times` sequential requests of one text, one connection. */
export function requestLatencies(baseUrl: string, text: string, times: number): Promise<number[]> {
  return timedPredicts(baseUrl, text, {}, times, () => 0);
}

/**
 * Round trips (ms, ascending) to the no-op server, each held `holdMs` before the answer, less
 * the time it held: what HTTP costs when both ends have sat idle as long as a forward pass.
 */
export function heldRoundTrips(baseUrl: string, holdMs: number, times: number): Promise<number[]> {
  return timedPredicts(baseUrl, '', { 'x-hold-ms': String(holdMs) }, times, (headers) => {
    const held = Number(headers['x-held-ms']);
    if (!Number.isFinite(held)) throw new Error('the no-op server did not hold the answer');
    return held;
  });
}

/**
 * `times` sequential POST /predict of one text on one connection, after ten that warm up: each
 * one's ms less what `untimed` says of its response headers, ascending.
 */
async function timedPredicts(
  baseUrl: string,
  text: string,
  headers: Record<string, string>,
  times: number,
  untimed: (headers: Record<string, string | string[] | undefined>) => number,
): Promise<number[]> {
  const client = new Client(baseUrl);
  const body = JSON.stringify({ text: [text] });
  const latencies: number[] = [];
  for (let i = 0; i < times + 10; i++) {
    const start = performance.now();
    const res = await client.request({
      method: 'POST',
      path: '/predict',
      headers: { 'content-type': 'application/json', ...headers },
      body,
    });
    await res.body.text();
    const ms = performance.now() - start;
    if (res.statusCode !== 200) throw new Error(`/predict answered ${res.statusCode}`);
    if (i >= 10) latencies.push(ms - untimed(res.headers));
  }
  await client.close();
  return latencies.sort((a, b) => a - b);
}
