import * as ort from 'onnxruntime-node';
import { ModelFailed, ModelLoadError } from '../errors.js';

/** How an ONNX Runtime session is set up; one per inference worker. */
export interface SessionOptions {
  /** Intra-op threads: parallelism inside one forward pass. */
  readonly intraOpThreads: number;
}

/** A padded batch of token ids, row-major `[rows, seqLen]`, for the standard graph. */
export interface PaddedBatch {
  readonly kind: 'padded';
  readonly inputIds: BigInt64Array;
  readonly attentionMask: BigInt64Array;
  readonly rows: number;
  readonly seqLen: number;
}

/**
 * Sequences concatenated into one row with no padding, for the packed graph: each token
 * carries its position within its sequence and the index of its sequence; `clsIndex` says
 * where each sequence starts. `rows` is the number of sequences.
 */
export interface PackedBatch {
  readonly kind: 'packed';
  readonly inputIds: BigInt64Array;
  readonly positionIds: BigInt64Array;
  readonly segmentIds: BigInt64Array;
  readonly clsIndex: BigInt64Array;
  readonly rows: number;
}

export type TokenBatch = PaddedBatch | PackedBatch;

/** The graph signatures the service runs. */
export type GraphKind = TokenBatch['kind'];

const INPUTS: Readonly<Record<GraphKind, readonly string[]>> = {
  padded: ['input_ids', 'attention_mask'],
  packed: ['input_ids', 'position_ids', 'segment_ids', 'cls_index'],
};

/**
 * The only door to ONNX Runtime (as transformers.js `backends/onnx.js` is): loads a graph with
 * the Hugging Face export signature (`input_ids`, `attention_mask` → `logits`), or our packed
 * variant, and runs it.
 */
export class ModelSession {
  private constructor(
    private readonly session: ort.InferenceSession,
    readonly kind: GraphKind,
  ) {}

  /** Loads a graph from a file, or from its bytes (the converter's tests build graphs in memory). */
  static async load(source: string | Uint8Array, options: SessionOptions): Promise<ModelSession> {
    const path = typeof source === 'string' ? source : 'the in-memory graph';
    let session: ort.InferenceSession;
    const sessionOptions: ort.InferenceSession.SessionOptions = {
      graphOptimizationLevel: 'all',
      intraOpNumThreads: options.intraOpThreads,
      interOpNumThreads: 1,
      executionMode: 'sequential',
    };
    try {
      session =
        typeof source === 'string'
          ? await ort.InferenceSession.create(source, sessionOptions)
          : await ort.InferenceSession.create(source, sessionOptions);
    } catch (error) {
      throw new ModelLoadError(`ONNX Runtime cannot load ${path}: ${(error as Error).message}`, {
        cause: error,
      });
    }
    const kind: GraphKind = session.inputNames.includes('segment_ids') ? 'packed' : 'padded';
    for (const name of INPUTS[kind]) {
      if (!session.inputNames.includes(name)) {
        throw new ModelLoadError(
          `${path} has no input '${name}' (inputs: ${session.inputNames.join(', ')})`,
        );
      }
    }
    if (!session.outputNames.includes('logits')) {
      throw new ModelLoadError(
        `${path} has no output 'logits' (outputs: ${session.outputNames.join(', ')})`,
      );
    }
    return new ModelSession(session, kind);
  }

  /** Logits `[rows, classes]`, row-major. Throws ModelFailed when the runtime does. */
  async run(batch: TokenBatch): Promise<Float32Array> {
    if (batch.kind !== this.kind) {
      throw new ModelFailed(`a ${batch.kind} batch cannot run on a ${this.kind} graph`);
    }
    const feeds = feedsFor(batch, this.session.inputNames.includes('token_type_ids'));
    try {
      const { logits } = await this.session.run(feeds, ['logits']);
      return (logits as ort.Tensor).data as Float32Array;
    } catch (error) {
      throw new ModelFailed(`inference failed: ${(error as Error).message}`, { cause: error });
    }
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}

/**
 * ONNX Runtime inputs for a batch. `tokenTypes` adds all-zero `token_type_ids`, which graphs
 * exported from BERT take (a single text is all segment 0).
 */
export function feedsFor(batch: TokenBatch, tokenTypes = false): Record<string, ort.Tensor> {
  if (batch.kind === 'packed') {
    const row = [1, batch.inputIds.length];
    return {
      input_ids: new ort.Tensor('int64', batch.inputIds, row),
      position_ids: new ort.Tensor('int64', batch.positionIds, row),
      segment_ids: new ort.Tensor('int64', batch.segmentIds, row),
      cls_index: new ort.Tensor('int64', batch.clsIndex, [batch.rows]),
    };
  }
  const dims = [batch.rows, batch.seqLen];
  const feeds: Record<string, ort.Tensor> = {
    input_ids: new ort.Tensor('int64', batch.inputIds, dims),
    attention_mask: new ort.Tensor('int64', batch.attentionMask, dims),
  };
  if (tokenTypes) {
    feeds.token_type_ids = new ort.Tensor('int64', new BigInt64Array(batch.inputIds.length), dims);
  }
  return feeds;
}
