/**
 * When two goodput figures may be divided. A ratio is only meaningful between runs of the same
 * graph and dtype on the same pool shape, machine size and request shape: anything else says
 * more about the difference than about overload. bench:overload refuses the ratio otherwise.
 */
import { availableParallelism } from 'node:os';
import type { Config } from '../../../src/config.js';
import { sha256File } from '../../../src/model/file-digest.js';
import type { ModelFiles } from '../../../src/model/model-files.js';

/** What must be equal for two goodputs to be compared. */
export interface RunIdentity {
  /** sha256 of the ONNX file the service serves (the packed one when it picks that). */
  readonly graphSha256: string;
  readonly dtype: string;
  readonly workers: number;
  readonly threads: number;
  readonly cores: number;
  readonly textsPerRequest: number;
  readonly batchMaxItems: number;
  readonly batchMaxTokens: number;
}

/** The identity of a run of the service with `config` on `files`. */
export async function runIdentity(
  files: ModelFiles,
  config: Config,
  textsPerRequest: number,
): Promise<RunIdentity> {
  const graph = (config.batchPacking && files.packedOnnxPath) || files.onnxPath;
  return {
    graphSha256: await sha256File(graph),
    dtype: files.dtype,
    workers: config.inferenceWorkers,
    threads: config.inferenceThreads,
    cores: availableParallelism(),
    textsPerRequest,
    batchMaxItems: config.batchMaxItems,
    batchMaxTokens: config.batchMaxTokens,
  };
}

/** The fields in which `a` and `b` differ, as `field a≠b`; empty when they are comparable. */
export function differences(a: RunIdentity, b: RunIdentity): string[] {
  return (Object.keys(a) as (keyof RunIdentity)[])
    .filter((key) => a[key] !== b[key])
    .map((key) => `${key} ${String(a[key]).slice(0, 12)}≠${String(b[key]).slice(0, 12)}`);
}

/**
 * goodput / best, or the reason there is none: `best` must come from a comparable run and be a
 * real measurement.
 */
export function goodputRatio(
  goodput: number,
  run: RunIdentity,
  best: { goodput: number; identity: RunIdentity },
): { ratio: number } | { refused: string } {
  const diff = differences(run, best.identity);
  if (diff.length > 0) return { refused: `not comparable: ${diff.join(', ')}` };
  if (!(best.goodput > 0)) return { refused: 'no goodput to compare with' };
  return { ratio: goodput / best.goodput };
}
