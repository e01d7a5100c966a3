import { RawOrt, type RawRate, type WorkerPool } from '../../src/bench/raw-ort.js';
import type { GraphKind } from '../../src/model/token-batch.js';

// The raw runner ships with the CLI (`sentiment-api bench`); bench:serve's ceiling sweeps it.
export { RawOrt, type RawRate, type WorkerPool } from '../../src/bench/raw-ort.js';

/**
 * The ceiling: each worker pool at each batch size, best first. The pools share the machine's
 * cores (workers × threads ≤ cores, the service's rule).
 */
export async function rawCeiling(
  onnxPath: string,
  graph: GraphKind,
  sequences: readonly number[][],
  pools: readonly WorkerPool[],
  batchSizes: readonly number[],
  rounds: number,
): Promise<RawRate[]> {
  const rates: RawRate[] = [];
  for (const { workers, threads } of pools) {
    const ort = await RawOrt.start(onnxPath, workers, threads, graph);
    for (const batchSize of batchSizes) {
      const seqPerS = await ort.throughput(sequences, batchSize, rounds);
      rates.push({ graph, workers, threads, batchSize, seqPerS });
      process.stderr.write(
        `  raw ORT ${graph} graph ${workers}×${threads} batch ${batchSize}: ${seqPerS.toFixed(1)} seq/s\n`,
      );
    }
    await ort.close();
  }
  return rates.sort((a, b) => b.seqPerS - a.seqPerS);
}
