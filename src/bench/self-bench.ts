import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { resolve } from 'node:path';
import type { Logger } from 'pino';
import { Pool } from 'undici';
import type { Config } from '../config.js';
import { ModelTokenizer } from '../engine/tokenizer.js';
import { UniqueTexts } from '../load/open-model.js';
import { startService } from '../service.js';
import { RawOrt } from './raw-ort.js';

/** The raw graph is not the one the service serves: no ratio is printed. */
export class UnlikeGraphsError extends Error {}

/**
 * What the bench sets whatever the environment says: no cache (every text computed on both
 * sides), and nothing between the bench's own requests and the model (keys, limits).
 */
export const SELF_BENCH_OVERRIDES: Readonly<Record<string, string>> = {
  CACHE_MEMORY_BYTES: '0',
  REDIS_URL: '',
  API_KEYS_SHA256: '',
  API_KEYS_FILE: '',
  METRICS_REQUIRE_KEY: '0',
  DOCS_REQUIRE_KEY: '0',
  RATE_LIMIT_PER_MINUTE: '0',
};

/** How long and how hard `sentiment-api bench` measures. */
export interface SelfBenchOptions {
  /** Texts per pass (each side computes every one, no cache). */
  readonly texts: number;
  /** Paired rounds: one raw pass and one service pass each; medians are compared. */
  readonly rounds: number;
  /** HTTP clients sending side by side, one text a request. */
  readonly clients: number;
  /**
   * The graph raw ONNX Runtime runs; by default the one the service serves. Another graph is
   * refused (a ratio across graphs says nothing).
   */
  readonly onnxPath?: string | undefined;
}

/** What one run measured, in sequences per second. */
export interface SelfBenchResult {
  readonly model: string;
  readonly graph: string;
  readonly graphKind: 'padded' | 'packed';
  readonly workers: number;
  readonly threads: number;
  readonly batchMaxItems: number;
  readonly texts: number;
  readonly clients: number;
  readonly raw: readonly number[];
  readonly service: readonly number[];
  /** The service's median over raw's median. */
  readonly ratio: number;
}

/**
 * A short self-benchmark of this machine: raw ONNX Runtime and the service side by side on the
 * same graph and the same texts, as docs/benchmarks.md ("Serving", part 2) measures them at
 * length. Raw: the service's worker pool (INFERENCE_WORKERS × INFERENCE_THREADS) running
 * batches of BATCH_MAX_ITEMS in arrival order, what the batcher can cut. The service: started
 * through the composition root with its caches off, on 127.0.0.1, `clients` HTTP clients
 * sending one text a request. They take turns, one pass each per round, so drift on a shared
 * machine lands on both; the medians are compared. Before anything is timed, the graph the
 * service reports serving (its `sentiment_model_info`) must be the raw graph, byte for byte.
 */
export async function runSelfBench(
  config: Config,
  options: SelfBenchOptions,
  log: Logger,
  progress: (line: string) => void,
): Promise<SelfBenchResult> {
  const service = await startService(config, log);
  let raw: RawOrt | undefined;
  let pool: Pool | undefined;
  try {
    await service.app.listen({ host: '127.0.0.1', port: 0 });
    const address = service.app.server.address();
    const baseUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    const served = await servedGraph(baseUrl);
    const graph = resolve(options.onnxPath ?? served);
    if ((await sha256(graph)) !== (await sha256(served))) {
      throw new UnlikeGraphsError(
        `refusing to compare unlike graphs: the service serves ${served}, not ${graph} (check MODEL_DTYPE and BATCH_PACKING)`,
      );
    }
    const packed = service.model.files.packedOnnxPath;
    const graphKind = packed !== undefined && served === resolve(packed) ? 'packed' : 'padded';
    const tokenizer = ModelTokenizer.fromModelFiles(
      service.model.files,
      service.model.config.maxPositions,
    );
    raw = await RawOrt.start(graph, config.inferenceWorkers, config.inferenceThreads, graphKind);
    pool = new Pool(baseUrl, { connections: options.clients });
    const texts = new UniqueTexts();
    const pass = () => Array.from({ length: options.texts }, () => texts.take());
    // Warm-up: each side's first batches (arena growth, JIT) are not timed.
    await raw.throughput(
      await tokenizer.encodeAll(pass().slice(0, 64)),
      config.batchMaxItems,
      1,
      false,
    );
    await serviceThroughput(pool, pass().slice(0, 64), options.clients);

    const rates = { raw: [] as number[], service: [] as number[] };
    for (let round = 1; round <= options.rounds; round++) {
      const sequences = (await tokenizer.encodeAll(pass())) as number[][];
      rates.raw.push(await raw.throughput(sequences, config.batchMaxItems, 1, false));
      rates.service.push(await serviceThroughput(pool, pass(), options.clients));
      progress(
        `  round ${round}/${options.rounds}: raw ${rates.raw.at(-1)?.toFixed(1)} seq/s, ` +
          `service ${rates.service.at(-1)?.toFixed(1)} seq/s`,
      );
    }
    return {
      model: service.model.files.dir,
      graph,
      graphKind,
      workers: config.inferenceWorkers,
      threads: config.inferenceThreads,
      batchMaxItems: config.batchMaxItems,
      texts: options.texts,
      clients: options.clients,
      ...rates,
      ratio: median(rates.service) / median(rates.raw),
    };
  } finally {
    await pool?.close();
    await raw?.close();
    await service.close();
  }
}

/** The middle value (the upper of the two middle ones for an even count). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[sorted.length >> 1] ?? 0;
}

/** The graph file the service says it serves, from its own /metrics. */
async function servedGraph(baseUrl: string): Promise<string> {
  const exposition = await (await fetch(`${baseUrl}/metrics`)).text();
  const graph = /^sentiment_model_info\{[^}]*graph="([^"]*)"/m.exec(exposition)?.[1];
  if (graph === undefined) throw new Error('the service reports no sentiment_model_info');
  return resolve(graph);
}

async function sha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Sequences/s of the service: `clients` requests in flight, one text each, every text once. */
async function serviceThroughput(pool: Pool, texts: readonly string[], clients: number) {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (next < texts.length) {
        const text = texts[next++];
        const res = await pool.request({
          method: 'POST',
          path: '/predict',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ text: [text] }),
        });
        await res.body.text();
        if (res.statusCode !== 200) throw new Error(`the service answered ${res.statusCode}`);
      }
    }),
  );
  return texts.length / ((performance.now() - started) / 1000);
}
