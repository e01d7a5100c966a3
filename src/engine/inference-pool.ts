import { Piscina } from 'piscina';
import { ModelLoadError } from '../errors.js';
import {
  batchBuffers,
  type BatchOutput,
  type GraphKind,
  type TokenBatch,
} from '../model/token-batch.js';
import type { BatchRunner } from './batcher.js';
import type { InferenceWorkerData, WorkerGraph } from './inference-worker.js';

/** The shape of the worker pool: see INFERENCE_WORKERS / INFERENCE_THREADS in config.ts. */
export interface PoolOptions {
  readonly onnxPath: string;
  readonly workers: number;
  readonly intraOpThreads: number;
  /**
   * Return each text's [CLS] representation when the graph has the output (default true);
   * false when nothing reads it, so the workers do not copy it.
   */
  readonly representation?: boolean;
}

// Under tsx (dev, tests) the worker is the .ts source; once built, the emitted .js beside us.
const WORKER_FILE = new URL(
  import.meta.url.endsWith('.ts') ? './inference-worker.ts' : './inference-worker.js',
  import.meta.url,
).href;

/** A fixed pool of worker threads, each owning one ONNX Runtime session. */
export class InferencePool implements BatchRunner {
  readonly slots: number;

  private constructor(
    private readonly pool: Piscina,
    /** What the graph takes: padded rows or packed sequences (model/session.ts). */
    readonly graph: GraphKind,
    /** Whether batches come back with representations (the graph has the output). */
    readonly representation: boolean,
  ) {
    this.slots = pool.options.maxThreads;
  }

  /**
   * Starts every worker and runs one tiny batch on each, so a model that cannot load fails
   * here, at start-up, and the first request does not pay for session creation.
   */
  static async start(options: PoolOptions): Promise<InferencePool> {
    const workerData: InferenceWorkerData = {
      onnxPath: options.onnxPath,
      intraOpThreads: options.intraOpThreads,
      representation: options.representation ?? true,
    };
    const pool = new Piscina({
      filename: WORKER_FILE,
      minThreads: options.workers,
      maxThreads: options.workers,
      concurrentTasksPerWorker: 1,
      idleTimeout: Number.POSITIVE_INFINITY,
      // The batcher owns the queue; piscina never holds more than one batch per worker.
      maxQueue: options.workers,
      workerData,
    });
    try {
      // One task per worker at once: with one task per worker, each worker gets one.
      const graphs = (await Promise.all(
        Array.from({ length: options.workers }, () => pool.run(undefined, { name: 'warmUp' })),
      )) as WorkerGraph[];
      const { kind, representation } = graphs[0] as WorkerGraph;
      return new InferencePool(pool, kind, representation);
    } catch (error) {
      await pool.destroy();
      // Errors cross the worker boundary as plain Errors; restore the one main.ts reports.
      throw new ModelLoadError((error as Error).message, { cause: error });
    }
  }

  run(batch: TokenBatch): Promise<BatchOutput> {
    return this.pool.run(batch, { transferList: batchBuffers(batch) }) as Promise<BatchOutput>;
  }

  async close(): Promise<void> {
    await this.pool.close();
  }
}
