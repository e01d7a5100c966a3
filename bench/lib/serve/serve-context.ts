import type { Config } from '../../../src/config.js';
import type { ModelTokenizer } from '../../../src/engine/tokenizer.js';
import type { ModelFiles } from '../../../src/model/model-files.js';
import type { GraphKind } from '../../../src/model/token-batch.js';
import type { WorkerPool } from '../raw-ort.js';

/** What every part of bench:serve reads: the run's settings, the model and the sentences. */
export interface ServeContext {
  /** `--quick`: fewer sentences, rounds and pools, a shorter load profile (a smoke check). */
  readonly quick: boolean;
  /** The service's knobs from `--env`, as the child service gets them. */
  readonly knobs: Readonly<Record<string, string>>;
  /** The service's configuration with those knobs (what the child service will run). */
  readonly config: Config;
  readonly cores: number;
  readonly files: ModelFiles;
  readonly tokenizer: ModelTokenizer;
  /** SST-2 dev (or generated sentences without ../shared), and where they came from. */
  readonly sentences: readonly string[];
  readonly source: string;
  /** `sentences` as token ids, tokenized as the service does. */
  readonly sequences: readonly number[][];
  readonly meanTokens: number;
  /** The environment of every child service: the knobs and MODEL_DIR. */
  readonly serviceEnv: Readonly<Record<string, string>>;
  /** `--node-args`: Node's own flags for every child service (a profile: `--cpu-prof`). */
  readonly nodeArgs: readonly string[];
  /** The graph the service will run (src/engine picks the same one). */
  readonly serviceGraph: { readonly path: string; readonly kind: GraphKind };
  /** `--pools`: the worker pools the raw ceiling tries. */
  readonly pools: readonly WorkerPool[];
  /** `--batch-sizes`: the batch sizes the raw ceiling tries. */
  readonly batchSizes: readonly number[];
}
