/**
 * `npm run soak -- --replicas 3`: the memory soak across the topology (three replicas, one
 * Redis, nginx), each replica's RSS and heap as JSON and one chart, each judged against the
 * bound. Returns the exit code.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderLineChart } from '../../devkit/line-chart.js';
import { runFleetSoak } from '../../devkit/topology/fleet-soak.js';

const MB = 2 ** 20;
const COLORS = ['#1864ab', '#e67700', '#2b8a3e'];

export async function fleetSoak(
  args: Readonly<Record<string, string | boolean | undefined>>,
): Promise<number> {
  const minutes = Number(args.minutes);
  const replicas = Number(args.replicas);
  const bound = Number(args['bound-mb']);
  const warmupSeconds = Number(args['warmup-seconds']);
  const env = {
    INFERENCE_WORKERS: '1',
    CACHE_MEMORY_BYTES: String(args['cache-bytes']),
    // Unlike the single soak, a TTL: with no expiry, the shared Redis would keep every one of
    // the millions of unique texts. In memory, eviction still comes first (the tier is full
    // within seconds).
    CACHE_TTL_SECONDS: '60',
  };
  console.log(`soak: ${minutes} min through nginx to ${replicas} replicas, ${JSON.stringify(env)}`);
  const result = await runFleetSoak({
    replicas,
    durationMs: minutes * 60_000,
    sampleEveryMs: Number(args['sample-ms']),
    clients: Number(args.clients),
    textsPerRequest: Number(args.texts),
    warmupSeconds,
    env,
    ...(typeof args['service-root'] === 'string' ? { serviceRoot: args['service-root'] } : {}),
    ...(typeof args['warmup-texts'] === 'string'
      ? { warmupTexts: Number(args['warmup-texts']) }
      : {}),
    ...(typeof args['texts-per-second'] === 'string'
      ? { textsPerSecond: Number(args['texts-per-second']) }
      : {}),
  });
  const out = String(args.out);
  mkdirSync(out, { recursive: true });
  writeFileSync(
    join(out, 'soak-fleet.json'),
    `${JSON.stringify({ minutes, env, boundBytes: bound * MB, ...result }, null, 2)}\n`,
  );
  const chart = await renderLineChart({
    title: `Memory of ${replicas} replicas behind nginx, ${result.texts.toLocaleString('en')} unique texts in ${minutes} min`,
    xLabel: 'minutes',
    yLabel: 'MB',
    series: result.replicas.flatMap((r) => [
      {
        name: `RSS ${r.index}`,
        color: COLORS[r.index % COLORS.length]!,
        points: r.samples.map((s) => [s.atSeconds / 60, s.rssBytes / MB] as const),
      },
      {
        name: `heap ${r.index}`,
        color: COLORS[r.index % COLORS.length]!,
        dashed: true,
        points: r.samples.map((s) => [s.atSeconds / 60, s.heapUsedBytes / MB] as const),
      },
    ]),
  });
  writeFileSync(join(out, 'soak-fleet-memory.svg'), chart.svg);
  writeFileSync(join(out, 'soak-fleet-memory.png'), chart.png);
  const mb = (bytes: number): string => `${(bytes / MB).toFixed(1)} MB`;
  console.log(
    `requests ${result.requests}, texts ${result.texts} (${(result.texts / (minutes * 60)).toFixed(0)}/s), errors ${result.errors}`,
  );
  for (const line of result.firstErrors) console.log(`  ${line}`);
  for (const r of result.replicas) {
    const rss = r.samples.map((s) => s.rssBytes);
    console.log(
      `replica ${r.index}: RSS start ${mb(rss[0] ?? 0)}, max ${mb(Math.max(...rss))}; after ${result.warmupSeconds.toFixed(0)} s: first third max ${mb(r.growth.firstThirdMaxBytes)}, last third max ${mb(r.growth.lastThirdMaxBytes)}, growth ${mb(r.growth.growthBytes)} (bound ${bound} MB)`,
    );
  }
  console.log(`wrote ${join(out, 'soak-fleet.json')}, soak-fleet-memory.svg, .png`);
  const flat = result.replicas.every((r) => r.growth.growthBytes <= bound * MB);
  return result.errors === 0 && flat ? 0 : 1;
}
