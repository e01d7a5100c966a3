import { Piscina } from 'piscina';
import { assembleBatch, type GraphKind, type TokenBatch } from '../model/token-batch.js';
import type { OrtWorkerData, OrtWorkerRequest } from './ort-worker.js';

// Under tsx (dev, tests, bench/) the worker is the .ts source; once built, the emitted .js.
const WORKER_FILE = new URL(
  import.meta.url.endsWith('.ts') ? './ort-worker.ts' : './ort-worker.js',
  import.meta.url,
).href;

/** A pool of `workers` worker threads, each session with `threads` intra-op threads. */
export interface WorkerPool {
  readonly workers: number;
  readonly threads: number;
}

/** Sequences per second of one worker pool at one batch size. */
export interface RawRate extends WorkerPool {
  readonly graph: GraphKind;
  readonly batchSize: number;
  readonly seqPerS: number;
}

/**
 * ONNX Runtime without the service (bench:serve's ceiling, `sentiment-api bench`): `workers` worker threads each with one session of
 * `threads` intra-op threads, the pool INFERENCE_WORKERS × INFERENCE_THREADS give the service.
 */
export class RawOrt {
  private constructor(
    private readonly pool: Piscina,
    readonly workers: number,
    private readonly graph: GraphKind,
  ) {}

  /** `graph` says how batches are assembled: padded rows, or packed for a packed graph. */
  static async start(
    onnxPath: string,
    workers: number,
    threads: number,
    graph: GraphKind = 'padded',
  ): Promise<RawOrt> {
    const workerData: OrtWorkerData = { onnxPath, intraOpThreads: threads };
    // piscina, as engine/inference-pool.ts.
    const pool = new Piscina({
      filename: WORKER_FILE,
      minThreads: workers,
      maxThreads: workers,
      concurrentTasksPerWorker: 1,
      idleTimeout: Number.POSITIVE_INFINITY,
      workerData,
    });
    const ort = new RawOrt(pool, workers, graph);
    await ort.all(() => ({ kind: 'run', batches: [] })); // every session loaded
    return ort;
  }

  private ask<T>(request: OrtWorkerRequest): Promise<T> {
    return this.pool.run(request) as Promise<T>;
  }

  /** One request per worker at once: with one task per worker, each gets exactly one. */
  private all(request: (worker: number) => OrtWorkerRequest): Promise<unknown[]> {
    return Promise.all(Array.from({ length: this.workers }, (_, w) => this.ask(request(w))));
  }

  /**
   * Sequences/s over all `sequences`: sorted by length and cut into batches of `batchSize`
   * (the least padding any batcher could achieve; `sort` false keeps arrival order), dealt
   * round-robin to the workers, which all start together; the best of `rounds`.
   */
  async throughput(
    sequences: readonly number[][],
    batchSize: number,
    rounds = 2,
    sort = true,
  ): Promise<number> {
    const sorted = sort ? [...sequences].sort((a, b) => a.length - b.length) : sequences;
    const batches: TokenBatch[] = [];
    for (let i = 0; i < sorted.length; i += batchSize) {
      const items = sorted.slice(i, i + batchSize).map((ids) => ({ ids }));
      batches.push(assembleBatch(this.graph, items).batch);
    }
    const shares = Array.from({ length: this.workers }, (_, w) =>
      batches.filter((_b, i) => i % this.workers === w),
    );
    // The longest batch first: ONNX Runtime grows its memory arena on first sight.
    await this.all((w) => ({ kind: 'run', batches: shares[w]?.slice(-1) ?? [] }));
    let best = 0;
    for (let round = 0; round < rounds; round++) {
      const start = performance.now();
      await this.all((w) => ({ kind: 'run', batches: shares[w] ?? [] }));
      best = Math.max(best, sequences.length / ((performance.now() - start) / 1000));
    }
    return best;
  }

  /** Latencies (ms, ascending) of `times` batch-1 forward passes of `ids` in one worker. */
  async latencies(ids: number[], times: number): Promise<number[]> {
    const { batch } = assembleBatch(this.graph, [{ ids }]);
    await this.ask({ kind: 'repeat', batch, times: 10 });
    const { times: ms } = await this.ask<{ times: number[] }>({ kind: 'repeat', batch, times });
    return ms.sort((a, b) => a - b);
  }

  async close(): Promise<void> {
    await this.pool.destroy();
  }
}
