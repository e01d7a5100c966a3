/**
 * GET /health on a loop, on a thread of its own: the clients' loops share this process's
 * event loop, and under the worst case they keep it busy enough to delay a prober that
 * shared it, which would then time the load generator rather than the service.
 */
import { Worker } from 'node:worker_threads';

/** Plain JavaScript, evaluated in the worker (no TypeScript loader there). */
const PROBER = `
const { parentPort, workerData } = require('node:worker_threads');
const http = require('node:http');
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const samples = [];
let failures = 0;
let stopped = false;
parentPort.on('message', () => (stopped = true));
const probe = () =>
  new Promise((resolve) => {
    const started = performance.now();
    const req = http.get(workerData.url, { agent }, (res) => {
      res.resume();
      res.on('end', () => {
        if (res.statusCode !== 200) failures++;
        samples.push(performance.now() - started);
        resolve();
      });
    });
    req.on('error', () => {
      failures++;
      samples.push(performance.now() - started);
      resolve();
    });
  });
(async () => {
  while (!stopped) {
    await probe();
    await new Promise((resolve) => setTimeout(resolve, workerData.everyMs));
  }
  agent.destroy();
  parentPort.postMessage({ samples, failures });
})();
`;

/** What the prober saw: each probe's round trip in ms, and how many did not get 200. */
export interface HealthProbes {
  readonly samples: number[];
  readonly failures: number;
}

/** Starts probing `baseUrl`/health every `everyMs`; `stop()` ends it and reports. */
export function startHealthProber(
  baseUrl: string,
  everyMs: number,
): { stop(): Promise<HealthProbes> } {
  const worker = new Worker(PROBER, {
    eval: true,
    workerData: { url: new URL('/health', baseUrl).href, everyMs },
  });
  const report = new Promise<HealthProbes>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  return {
    stop: async () => {
      worker.postMessage('stop');
      const probes = await report;
      await worker.terminate();
      return probes;
    },
  };
}
