/**
 * Timed HTTP loops of bench:serve against a server started with devkit/child-service.ts: the
 * service's throughput on cache misses, its idle latency, and the no-op server's held round trips.
 */
import { Client } from 'undici';

/**
 * Sequences/s of the service on cache misses: `clients` keep-alive connections, each sending
 * the next unsent sentence, one per request, until every one is answered.
 */
export async function missThroughput(
  baseUrl: string,
  sentences: readonly string[],
  clients: number,
): Promise<{ seqPerS: number; errors: number }> {
  let next = 0;
  let errors = 0;
  const connections = Array.from({ length: clients }, () => new Client(baseUrl));
  const start = performance.now();
  await Promise.all(
    connections.map(async (client) => {
      while (next < sentences.length) {
        const text = sentences[next++] as string;
        const res = await client.request({
          method: 'POST',
          path: '/predict',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ text: [text] }),
        });
        await res.body.text();
        if (res.statusCode !== 200) errors++;
      }
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  await Promise.all(connections.map((c) => c.close()));
  return { seqPerS: sentences.length / seconds, errors };
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
