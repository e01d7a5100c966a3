/**
 * bench:shed-cost — what a request costs the event loop, by how far the service reads it
 * before answering: the question behind serving cached texts while the queue sheds
 * (docs/benchmarks.md, "Overload").
 *
 *   flock /tmp/bench.lock npx tsx bench/shed-cost.bench.ts [--seconds 3] [--rounds 3]
 *     [--connections 8] [--texts 8]
 *
 * The real service as a child process (bundled model, API keys on), and closed-loop keep-alive
 * clients sending small POST /predict bodies back to back, one kind of request at a time,
 * the kinds interleaved over rounds. Each kind is read one step further than the last:
 * - `refused before the body` (no key: 401 in onRequest, as an overload refusal before the
 *   body; the same hook path, the same lingering close);
 * - `parsed, refused` (a body that fails the schema: read, parsed, validated, 422);
 * - `answered from the cache` (every text in the in-process cache: read, parsed, validated,
 *   looked up, answered 200).
 * The figure is the main thread's CPU per request (/proc/<pid>/task/<pid>/stat), which is
 * what a refusal takes from the event loop; the median of the rounds is kept.
 */
import { createHash } from 'node:crypto';
import { parseArgs } from 'node:util';
import { Client } from 'undici';
import { SERVICE_SCRIPT, startChildServer } from '../devkit/child-service.js';
import { threadCpuSeconds } from '../devkit/thread-cpu.js';

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '3' },
    rounds: { type: 'string', default: '3' },
    connections: { type: 'string', default: '8' },
    texts: { type: 'string', default: '8' },
  },
});
const seconds = Number(args.seconds);
const rounds = Number(args.rounds);
const connections = Number(args.connections);
const texts = Array.from(
  { length: Number(args.texts) },
  (_, i) => `a short review of a film, number ${i}, which was fine`,
);
const KEY = 'shed-cost-bench-key';
const digest = createHash('sha256').update(KEY).digest('hex');

interface Kind {
  readonly name: string;
  readonly headers: Record<string, string>;
  readonly body: string;
  readonly status: number;
}
const json = { 'content-type': 'application/json' };
const kinds: Kind[] = [
  {
    name: 'refused before the body (401)',
    headers: json,
    body: JSON.stringify({ text: texts }),
    status: 401,
  },
  {
    name: 'parsed, refused (422)',
    headers: { ...json, 'x-api-key': KEY },
    body: JSON.stringify({ text: texts.join(' ') }),
    status: 422,
  },
  {
    name: 'answered from the cache (200)',
    headers: { ...json, 'x-api-key': KEY },
    body: JSON.stringify({ text: texts }),
    status: 200,
  },
];

const server = await startChildServer(SERVICE_SCRIPT, {
  INFERENCE_WORKERS: '1',
  API_KEYS_SHA256: `bench:${digest}`,
});
const clients = Array.from({ length: connections }, () => new Client(server.baseUrl));
try {
  const warm = await fetch(`${server.baseUrl}/predict`, {
    method: 'POST',
    headers: { ...json, 'x-api-key': KEY },
    body: JSON.stringify({ text: texts }),
  });
  if (warm.status !== 200) throw new Error(`warm-up answered ${warm.status}`);

  const results = new Map<string, { usPerRequest: number; perSecond: number }[]>();
  for (let round = 0; round < rounds + 1; round++) {
    for (const kind of kinds) {
      const measured = await run(kind);
      // Round 0 warms each path's code up; it is not kept.
      if (round > 0) results.set(kind.name, [...(results.get(kind.name) ?? []), measured]);
    }
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1] ?? 0;
  console.log(
    `bench:shed-cost  ${connections} connections, ${texts.length} texts a body ` +
      `(${Buffer.byteLength(kinds[2]?.body ?? '')} bytes), ${seconds} s × ${rounds} rounds\n`,
  );
  console.log(
    '| request | main-thread CPU µs / request | requests/s | × refused before the body |',
  );
  console.log('| --- | ---: | ---: | ---: |');
  const base = median((results.get(kinds[0]?.name ?? '') ?? []).map((r) => r.usPerRequest));
  for (const kind of kinds) {
    const rows = results.get(kind.name) ?? [];
    const us = median(rows.map((r) => r.usPerRequest));
    const rate = median(rows.map((r) => r.perSecond));
    console.log(
      `| ${kind.name} | ${us.toFixed(1)} | ${rate.toFixed(0)} | ${(us / base).toFixed(2)}× |`,
    );
  }
} finally {
  await Promise.all(clients.map((client) => client.close()));
  await server.stop();
}

/** One kind, back to back on every connection for `seconds`: main-thread CPU per request. */
async function run(kind: Kind): Promise<{ usPerRequest: number; perSecond: number }> {
  let requests = 0;
  const mainCpu = () => threadCpuSeconds(server.pid).get(server.pid) ?? 0;
  const cpuBefore = mainCpu();
  const started = performance.now();
  const end = started + seconds * 1000;
  await Promise.all(
    clients.map(async (client) => {
      while (performance.now() < end) {
        const res = await client.request({
          path: '/predict',
          method: 'POST',
          headers: kind.headers,
          body: kind.body,
        });
        await res.body.text();
        if (res.statusCode !== kind.status)
          throw new Error(`${kind.name}: answered ${res.statusCode}`);
        requests++;
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  const cpu = mainCpu() - cpuBefore;
  return { usPerRequest: (cpu / requests) * 1e6, perSecond: requests / elapsed };
}
