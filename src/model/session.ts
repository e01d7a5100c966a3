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
 * Sequences with no padding, for the packed graph (signature in convert/encoder-graph.ts):
 * `inputIds` and `positionIds` hold the tokens of every sequence one after another; for the
 * attention, which alone runs padded, `padIndex` names the token in each slot of a
 * `[rows, seqLen]` layout (padding slots repeat the sequence's first token),
 * `attentionMask` marks the real slots, and `unpadIndex` names each token's slot.
 */
export interface PackedBatch {
  readonly kind: 'packed';
  readonly inputIds: BigInt64Array;
  readonly positionIds: BigInt64Array;
  readonly attentionMask: BigInt64Array;
  readonly padIndex: BigInt64Array;
  readonly unpadIndex: BigInt64Array;
  readonly rows: number;
  readonly seqLen: number;
}

export type TokenBatch = PaddedBatch | PackedBatch;

/** The graph signatures the service runs. */
export type GraphKind = TokenBatch['kind'];

const INPUTS: Readonly<Record<GraphKind, readonly string[]>> = {
  padded: ['input_ids', 'attention_mask'],
  packed: ['input_ids', 'position_ids', 'attention_mask', 'pad_index', 'unpad_index'],
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
    if (session.inputNames.includes('segment_ids')) {
      // The first packed signature (one row, block-diagonal mask): slower, and no longer fed.
      throw new ModelLoadError(
        `${path} is a packed graph from an older sentiment-api converter; delete it, or convert the model again`,
      );
    }
    const kind: GraphKind = session.inputNames.includes('unpad_index') ? 'packed' : 'padded';
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
  const dims = [batch.rows, batch.seqLen];
  if (batch.kind === 'packed') {
    const tokens = [batch.inputIds.length];
    return {
      input_ids: new ort.Tensor('int64', batch.inputIds, tokens),
      position_ids: new ort.Tensor('int64', batch.positionIds, tokens),
      attention_mask: new ort.Tensor('int64', batch.attentionMask, dims),
      pad_index: new ort.Tensor('int64', batch.padIndex, dims),
      unpad_index: new ort.Tensor('int64', batch.unpadIndex, tokens),
    };
  }
  const feeds: Record<string, ort.Tensor> = {
    input_ids: new ort.Tensor('int64', batch.inputIds, dims),
    attention_mask: new ort.Tensor('int64', batch.attentionMask, dims),
  };
  if (tokenTypes) {
    feeds.token_type_ids = new ort.Tensor('int64', new BigInt64Array(batch.inputIds.length), dims);
  }
  return feeds;
}
