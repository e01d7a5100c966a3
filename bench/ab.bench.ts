/**
 * bench:misses-ab and bench:cached-ab — two services side by side, in alternating passes, so
 * drift on this shared machine lands on both. `--load misses` (bench:misses-ab) is bench:serve
 * part (2)'s load: all cache misses, 16 clients × one SST-2 dev sentence per request.
 * `--load cached` (bench:cached-ab) is part (3)'s at its plateau: 10 clients each running GET
 * /health then POST /predict with the load profile's bodies, on a warm in-memory cache:
 *
 *   flock /tmp/bench.lock npm run bench:misses-ab -- [--dtype fp32|int8] [--model-dir DIR]
 *     [--a K=V,K=V] [--b K=V] [--a-root DIR] [--b-root DIR] [--rounds 7] [--node-args=FLAG ...]
 *   flock /tmp/bench.lock npm run bench:cached-ab -- [the same options] [--a-noop]
 *
 * `--a`/`--b` set each side's knobs (src/config.ts); `--a-root`/`--b-root` run a side from
 * another checkout (a `git worktree` of another commit, with a `node_modules` link), so a
 * change is measured against the code before it; `--a-noop` makes A the no-op server
 * (bench/lib/noop-app.ts, `cached` only): B's cost against HTTP's own. `--node-args` gives
 * both services Node's own flags, for a profile of the load (`--node-args=--cpu-prof`, or
 * `--perf-basic-prof` under `perf record`). Both serve the same model folder and dtype: sides
 * whose knobs pick different graphs (BATCH_PACKING), or a side found serving another graph
 * than its knobs say, stop the run. Prints each side's median sequences/s (iterations/s for
 * `cached`) and where its cores went (per thread, from /proc): inference workers, main
 * thread, other threads, this process (the load generator), and what none of them used, also
 * per text (per iteration); the ratio B/A.
 */
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { SERVICE_SCRIPT, startChildServer, type ChildServer } from '../devkit/child-service.js';
import { sst2Sentences } from '../devkit/sst2-sentences.js';
import { cpuSplit, threadCpuSeconds } from '../devkit/thread-cpu.js';
import { loadConfig } from '../src/config.js';
import { resolveModelFiles } from '../src/model/model-files.js';
import { NOOP_SERVER_SCRIPT } from './lib/noop-app.js';
import { CACHED_CLIENTS, CACHED_ITERATIONS, cachedPass } from './lib/serve/load-profile.js';
import { CLIENTS } from './lib/serve/misses.js';
import { median } from './lib/serve/report-table.js';
import { MODEL_OPTIONS } from './lib/serve/model-options.js';
import { assertServesGraph } from './lib/serve/same-graph.js';
import { missThroughput } from './lib/timed-requests.js';

const { values: args } = parseArgs({
  options: {
    ...MODEL_OPTIONS,
    a: { type: 'string', default: '' },
    b: { type: 'string', default: '' },
    'a-root': { type: 'string' },
    'b-root': { type: 'string' },
    'a-noop': { type: 'boolean', default: false },
    load: { type: 'string', default: 'misses' },
    rounds: { type: 'string', default: '7' },
    'node-args': { type: 'string', multiple: true, default: [] },
  },
});

/** `K=V,K=V` as an environment. */
function knobs(list: string): Record<string, string> {
  return Object.fromEntries(
    list
      .split(',')
      .filter(Boolean)
      .map((kv) => kv.split('=', 2) as [string, string]),
  );
}

interface Side {
  readonly name: 'A' | 'B';
  readonly label: string;
  readonly service: ChildServer;
  readonly workers: number;
  readonly rates: number[];
  /**
   * Per pass, in cores: the workers, the main thread, other threads, the load generator, and
   * what none of them used (the machine's cores less the four; other processes count here).
   */
  readonly cores: [number, number, number, number, number][];
}

if (args.load !== 'misses' && args.load !== 'cached') {
  throw new Error(`bench:ab: --load is misses or cached, not ${args.load}`);
}
const cached = args.load === 'cached';
const MACHINE_CORES = availableParallelism();
if (args['a-noop'] && !cached) throw new Error('bench:ab: --a-noop answers cached loads only');
const modelDir = resolve(args['model-dir']);
const { sentences } = sst2Sentences();
/** One pass of the chosen load: units (texts or iterations) per second, and errors. */
async function pass(baseUrl: string, warmUp = false): Promise<{ rate: number; errors: number }> {
  if (cached) {
    // Errors stop the run inside cachedPass.
    return { rate: await cachedPass(baseUrl, CACHED_ITERATIONS / (warmUp ? 10 : 1)), errors: 0 };
  }
  const r = await missThroughput(baseUrl, warmUp ? sentences.slice(0, 200) : sentences, CLIENTS);
  return { rate: r.seqPerS, errors: r.errors };
}
const units = cached ? CACHED_ITERATIONS : sentences.length;
/** A side's knobs, its checkout, and the graph it will serve (as src/engine picks it). */
const plans = (['A', 'B'] as const).map((name) => {
  const own = knobs(name === 'A' ? args.a : args.b);
  const env = {
    ...own,
    MODEL_DIR: modelDir,
    MODEL_DTYPE: args.dtype,
    ...(cached ? {} : { CACHE_MEMORY_BYTES: '0' }),
  };
  const config = loadConfig(env);
  const files = resolveModelFiles(modelDir, config.modelDtype);
  const graph = (config.batchPacking && files.packedOnnxPath) || files.onnxPath;
  const root = name === 'A' ? args['a-root'] : args['b-root'];
  return { name, own, env, graph, root, workers: config.inferenceWorkers };
});
if (!args['a-noop'] && plans[0]?.graph !== plans[1]?.graph) {
  throw new Error('bench:ab: the two sides would serve different graphs; refusing to compare');
}
const sides: Side[] = [];
try {
  for (const { name, own, env, graph, root, workers } of plans) {
    if (name === 'A' && args['a-noop']) {
      // The no-op server: what the load costs with none of the service's work.
      const service = await startChildServer(
        NOOP_SERVER_SCRIPT,
        {},
        { nodeArgs: args['node-args'] },
      );
      sides.push({ name, label: 'the no-op server', service, workers: 0, rates: [], cores: [] });
      continue;
    }
    const service = await startChildServer(
      root ? resolve(root, SERVICE_SCRIPT) : SERVICE_SCRIPT,
      env,
      { nodeArgs: args['node-args'] },
    );
    sides.push({
      name,
      label: `${root ?? 'this tree'} ${JSON.stringify(own)}`,
      service,
      workers,
      rates: [],
      cores: [],
    });
    // Another checkout might pick another graph than this tree's config says: checked served.
    await assertServesGraph(service.baseUrl, graph);
  }
  const [a, b] = sides as [Side, Side];
  for (const side of sides) await pass(side.service.baseUrl, true);
  const rounds = Number(args.rounds);
  for (let round = 0; round < rounds; round++) {
    // A first in even rounds, B first in odd ones: neither always follows the other.
    for (const side of round % 2 === 0 ? [a, b] : [b, a]) {
      const before = threadCpuSeconds(side.service.pid);
      const own = process.cpuUsage();
      const { rate, errors } = await pass(side.service.baseUrl);
      if (errors > 0) throw new Error(`bench:ab: side ${side.name} answered ${errors} errors`);
      const seconds = units / rate;
      const used = process.cpuUsage(own);
      const split = cpuSplit(
        side.service.pid,
        before,
        threadCpuSeconds(side.service.pid),
        seconds,
        side.workers,
      );
      side.rates.push(rate);
      const loadGenerator = (used.user + used.system) / 1e6 / seconds;
      const busy = split.workers + split.mainThread + split.others + loadGenerator;
      side.cores.push([
        split.workers,
        split.mainThread,
        split.others,
        loadGenerator,
        Math.max(0, MACHINE_CORES - busy),
      ]);
    }
  }
  const mid = (values: readonly number[]) => median([...values].sort((x, y) => x - y));
  console.log(
    cached
      ? `bench:cached-ab  ${modelDir} (${args.dtype}), ${units} iterations (GET /health, POST /predict) a pass, ${CACHED_CLIENTS} clients, ${rounds} rounds`
      : `bench:misses-ab  ${modelDir} (${args.dtype}), ${units} sentences, ${CLIENTS} clients, ${rounds} rounds`,
  );
  for (const side of sides) {
    const rate = mid(side.rates);
    const cores = [0, 1, 2, 3, 4].map((i) => mid(side.cores.map((c) => c[i] as number)));
    const perText = cores.slice(1).map((c) => ((c / rate) * 1000).toFixed(3));
    console.log(
      `${side.name} ${side.label}\n  median ${rate.toFixed(1)} ${cached ? 'iterations' : 'seq'}/s (passes ${side.rates.map((r) => r.toFixed(0)).join(' ')})\n` +
        `  cores: workers ${cores[0]?.toFixed(3)}, main ${cores[1]?.toFixed(3)}, other threads ${cores[2]?.toFixed(3)}, load generator ${cores[3]?.toFixed(3)}; unused ${cores[4]?.toFixed(3)} of ${MACHINE_CORES}\n` +
        `  ms of CPU per ${cached ? 'iteration' : 'text'}: main ${perText[0]}, other threads ${perText[1]}, load generator ${perText[2]}; of unused cores ${perText[3]}`,
    );
  }
  console.log(`B / A: ${(mid(b.rates) / mid(a.rates)).toFixed(3)}`);
} finally {
  for (const side of sides) await side.service.stop();
}
