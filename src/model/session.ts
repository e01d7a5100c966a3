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

  static async load(path: string, options: SessionOptions): Promise<ModelSession> {
    let session: ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(path, {
        graphOptimizationLevel: 'all',
        intraOpNumThreads: options.intraOpThreads,
        interOpNumThreads: 1,
        executionMode: 'sequential',
      });
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
    const feeds = batch.kind === 'padded' ? this.paddedFeeds(batch) : packedFeeds(batch);
    try {
      const { logits } = await this.session.run(feeds, ['logits']);
      return (logits as ort.Tensor).data as Float32Array;
    } catch (error) {
      throw new ModelFailed(`inference failed: ${(error as Error).message}`, { cause: error });
    }
  }

  private paddedFeeds(batch: PaddedBatch): Record<string, ort.Tensor> {
    const dims = [batch.rows, batch.seqLen];
    const feeds: Record<string, ort.Tensor> = {
      input_ids: new ort.Tensor('int64', batch.inputIds, dims),
      attention_mask: new ort.Tensor('int64', batch.attentionMask, dims),
    };
    // Graphs exported from BERT take token_type_ids too; a single text is all segment 0.
    if (this.session.inputNames.includes('token_type_ids')) {
      feeds.token_type_ids = new ort.Tensor(
        'int64',
        new BigInt64Array(batch.rows * batch.seqLen),
        dims,
      );
    }
    return feeds;
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}

function packedFeeds(batch: PackedBatch): Record<string, ort.Tensor> {
  const dims = [1, batch.inputIds.length];
  return {
    input_ids: new ort.Tensor('int64', batch.inputIds, dims),
    position_ids: new ort.Tensor('int64', batch.positionIds, dims),
    segment_ids: new ort.Tensor('int64', batch.segmentIds, dims),
    cls_index: new ort.Tensor('int64', batch.clsIndex, [batch.rows]),
  };
}
