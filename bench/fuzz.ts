/**
 * npm run fuzz — property-based fuzzing of `POST /predict` over real sockets:
 *
 *   flock /tmp/bench.lock npm run fuzz -- [--cases 100000] [--seed N] [--concurrency 4]
 *     [--minutes 20] [--category huge] [--path 3:1:0] [--rss-bound-mb 600]
 *
 * The service runs as a child process on the bundled model (one worker, BODY_LIMIT_BYTES of
 * 1 MiB so cases past the limit stay cheap, a 16 MB result cache so the few valid texts that
 * recur are not recomputed); the categories of devkit/fuzz/fuzz-run.ts share `--cases` by
 * their weights, each run as `--concurrency` properties over keep-alive connections. It
 * prints the cases run per category and, for a failure, its shrunk counterexample with the
 * seed and path that replay it (`--seed S --path P --category C`). Exits 1 on any failure, a
 * /health that stops answering, or an RSS past `--rss-bound-mb`. `--minutes` bounds the run:
 * no case starts past it, and what ran is reported.
 */
import { parseArgs } from 'node:util';
import { startChildServer, SERVICE_SCRIPT } from '../devkit/child-service.js';
import {
  CATEGORIES,
  runFuzz,
  runsFor,
  type Category,
  type CategoryResult,
} from '../devkit/fuzz/fuzz-run.js';
import type { PredictLimits } from '../devkit/fuzz/predict-oracle.js';
import { readRssBytes, sampleEvery } from '../devkit/proc-memory.js';
import { BUNDLED_MODEL_DIR } from '../src/config.js';
import { readModelConfig, resolveModelFiles } from '../src/model/model-files.js';

const { values: args } = parseArgs({
  options: {
    cases: { type: 'string', default: '100000' },
    seed: { type: 'string' },
    concurrency: { type: 'string', default: '4' },
    minutes: { type: 'string', default: '20' },
    category: { type: 'string' },
    path: { type: 'string' },
    'timeout-ms': { type: 'string', default: '15000' },
    // The service's RSS rises from its idle size by some 150 MB while bodies of up to 1 MiB
    // are parsed four at a time, then stays (docs/benchmarks.md, "Fuzzing"). 600 MB is well
    // above that, and far below what keeping even a few percent of the huge and deep bodies
    // (thousands of them, hundreds of kB each) would take.
    'rss-bound-mb': { type: 'string', default: '600' },
  },
});

const limits: PredictLimits = { bodyLimitBytes: 1024 * 1024, maxTexts: 256, maxTextChars: 0 };
const seed = args.seed === undefined ? Date.now() % 2 ** 31 : Number(args.seed);
const concurrency = Number(args.concurrency);
const only = args.category as Category | undefined;
if (only !== undefined && !(only in CATEGORIES)) {
  throw new Error(`--category must be one of ${Object.keys(CATEGORIES).join(', ')}`);
}
const allRuns = runsFor(Number(args.cases));
const runs = only ? { [only]: args.path ? 1 : allRuns[only] } : allRuns;
const labels = readModelConfig(resolveModelFiles(BUNDLED_MODEL_DIR, 'fp32').configPath).labels;

const server = await startChildServer(SERVICE_SCRIPT, {
  INFERENCE_WORKERS: '1',
  BODY_LIMIT_BYTES: String(limits.bodyLimitBytes),
  MAX_TEXTS_PER_REQUEST: String(limits.maxTexts),
  MAX_TEXT_CHARS: String(limits.maxTextChars),
  CACHE_MEMORY_BYTES: String(16 * 1024 * 1024),
});
const rss = sampleEvery(250, () => readRssBytes(server.pid));
const started = Date.now();
let results: CategoryResult[] = [];
let fatal: Error | undefined;
try {
  console.log(`fuzzing ${server.baseUrl} (pid ${server.pid}), seed ${seed}, ${concurrency} lanes`);
  results = await runFuzz(
    { baseUrl: server.baseUrl, limits, labels },
    {
      runs,
      seed,
      concurrency,
      timeoutMs: Number(args['timeout-ms']),
      deadline: started + Number(args.minutes) * 60_000,
      ...(args.path ? { path: args.path } : {}),
    },
  );
} catch (error) {
  fatal = error as Error;
} finally {
  rss.stop();
  await server.stop().catch((error: Error) => (fatal ??= error));
}

const seconds = (Date.now() - started) / 1000;
const total = results.reduce((sum, r) => sum + r.runs, 0);
console.log(`\n| category | cases | result |\n| --- | ---: | --- |`);
for (const r of results) {
  console.log(
    `| ${r.category} | ${r.runs.toLocaleString('en')} | ${r.failure ? 'FAILED' : 'ok'} |`,
  );
}
console.log(`| total | ${total.toLocaleString('en')} | ${seconds.toFixed(0)} s |`);
const rssMb = rss.max() / 2 ** 20;
const bound = Number(args['rss-bound-mb']);
const first = (rss.samples[0]?.bytes ?? 0) / 2 ** 20;
console.log(
  `service RSS: ${first.toFixed(0)} MB at start, max ${rssMb.toFixed(0)} MB (bound ${bound} MB)`,
);

let failed = false;
for (const r of results.filter((result) => result.failure)) {
  const f = r.failure!;
  failed = true;
  console.log(`\nFAILED ${r.category} after ${f.shrinks} shrinks: ${f.error}`);
  console.log(`  counterexample: ${f.counterexample}`);
  console.log(
    `  replay: npm run fuzz -- --category ${r.category} --seed ${f.seed} --path ${f.path}`,
  );
}
if (fatal) {
  failed = true;
  console.log(`\nthe run stopped: ${fatal.message}\n${server.output().slice(-2000)}`);
}
if (rssMb > bound) {
  failed = true;
  console.log(`\nRSS ${rssMb.toFixed(0)} MB is over the bound of ${bound} MB`);
}
process.exitCode = failed ? 1 : 0;
