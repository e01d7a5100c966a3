/**
 * Memory and CPU of a running service under a short closed-loop load, for sizing its
 * container (docs/deploy.md, "Sizing"):
 *   tsx devkit/measure-footprint.ts <pid> <base-url> [seconds=20] [clients=8] [texts=8]
 * <pid> is the service's process (for a container: `podman inspect -f '{{.State.Pid}}' NAME`);
 * its RSS counts every thread, the inference workers' ONNX Runtime sessions included. Each
 * request sends distinct texts, so the cache answers none and every text costs a forward
 * pass. Traffic goes to <base-url> only, which must be a loopback address; the load stops by
 * itself after <seconds>.
 */
import { readFileSync } from 'node:fs';

const [pidText, baseUrl, secondsText = '20', clientsText = '8', textsText = '8'] =
  process.argv.slice(2);
if (
  !pidText ||
  !baseUrl ||
  !/^http:\/\/(127\.\d+\.\d+\.\d+|localhost|\[::1\])(:\d+)?$/.test(baseUrl)
) {
  process.stderr.write(
    'usage: measure-footprint.ts <pid> <http://127.0.0.1:PORT> [seconds] [clients] [texts]\n',
  );
  process.exit(2);
}
const pid = Number(pidText);
const seconds = Number(secondsText);
const clients = Number(clientsText);
const textsPerRequest = Number(textsText);

/** Resident memory of the process, in MiB. */
function rssMiB(): number {
  const line = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(line?.[1] ?? NaN) / 1024;
}

/** CPU seconds the process has used, all threads. */
function cpuSeconds(): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

const WORDS =
  'the film was a quiet triumph though its second act drags and the score feels thin'.split(' ');

/** A distinct review-like text of 12-20 words. */
function text(serial: number): string {
  const words: string[] = [`review ${serial}:`];
  for (let i = 0, x = serial; i < 12 + (serial % 9); i += 1, x = (x * 1103515245 + 12345) >>> 0) {
    words.push(WORDS[x % WORDS.length] as string);
  }
  return words.join(' ');
}

async function main(): Promise<void> {
  const idleRss = rssMiB();
  let serial = 0;
  let texts = 0;
  let failures = 0;
  const latencies: number[] = [];
  let peakRss = idleRss;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, rssMiB())), 200);
  const cpuBefore = cpuSeconds();
  const started = performance.now();
  const until = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (performance.now() < until) {
        const body = { text: Array.from({ length: textsPerRequest }, () => text((serial += 1))) };
        const sent = performance.now();
        const response = await fetch(`${baseUrl}/predict`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
          signal: AbortSignal.timeout(30_000),
        });
        await response.arrayBuffer();
        if (response.ok) {
          texts += textsPerRequest;
          latencies.push(performance.now() - sent);
        } else failures += 1;
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  const cores = (cpuSeconds() - cpuBefore) / elapsed;
  clearInterval(sampler);
  latencies.sort((a, b) => a - b);
  const at = (q: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN;
  process.stdout.write(
    `${JSON.stringify(
      {
        seconds: Number(elapsed.toFixed(1)),
        clients,
        textsPerRequest,
        idleRssMiB: Math.round(idleRss),
        peakRssMiB: Math.round(peakRss),
        afterRssMiB: Math.round(rssMiB()),
        cpuCores: Number(cores.toFixed(2)),
        textsPerSecond: Math.round(texts / elapsed),
        p50Ms: Math.round(at(0.5)),
        p99Ms: Math.round(at(0.99)),
        failures,
      },
      null,
      2,
    )}\n`,
  );
}

await main();
