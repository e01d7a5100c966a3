import * as ort from 'onnxruntime-node';
import { ModelFailedError, ModelLoadError } from '../errors.js';
import {
  PACKED_ATTENTION_GROUPS,
  REPRESENTATION_OUTPUT,
  type BatchOutput,
  type GraphKind,
  type TokenBatch,
} from './token-batch.js';

/** The ONNX Runtime version the service runs, for the model info metric. */
export const ONNX_RUNTIME_VERSION: string = ort.env.versions?.node ?? 'unknown';

/** How an ONNX Runtime session is set up; one per inference worker. */
export interface SessionOptions {
  /** Intra-op threads: parallelism inside one forward pass. */
  readonly intraOpThreads: number;
  /**
   * Fetch REPRESENTATION_OUTPUT when the graph has it (default true); false leaves it in the
   * graph uncopied, for a caller that never reads it (the monitor off).
   */
  readonly representation?: boolean;
}

const INPUTS: Readonly<Record<GraphKind, readonly string[]>> = {
  padded: ['input_ids', 'attention_mask'],
  packed: [
    'input_ids',
    'position_ids',
    ...PACKED_ATTENTION_GROUPS.flatMap((group) => [
      `${group}_attention_mask`,
      `${group}_pad_index`,
    ]),
    'unpad_index',
    'cls_index',
  ],
};

/**
 * The only door to ONNX Runtime (as transformers.js `backends/onnx.js` is): loads a graph with
 * the Hugging Face export signature (`input_ids`, `attention_mask` → `logits`), or our packed
 * variant, and runs it; graphs our converter wrote also give `cls_representation`.
 */
export class ModelSession {
  private readonly fetches: readonly string[];

  private constructor(
    private readonly session: ort.InferenceSession,
    readonly kind: GraphKind,
    /** Whether `run` returns each row's [CLS] representation (the graph has the output). */
    readonly representation: boolean,
  ) {
    this.fetches = representation ? ['logits', REPRESENTATION_OUTPUT] : ['logits'];
  }

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
    // Only our packed graphs take position_ids (Hugging Face exports derive positions).
    const kind: GraphKind = session.inputNames.includes('position_ids') ? 'packed' : 'padded';
    for (const name of INPUTS[kind]) {
      if (!session.inputNames.includes(name)) {
        // A packed graph's signature is ours and has changed between versions.
        const fix =
          kind === 'packed'
            ? '; it is a packed graph from another sentiment-api converter version: delete it, or convert the model again'
            : '';
        throw new ModelLoadError(
          `${path} has no input '${name}' (inputs: ${session.inputNames.join(', ')})${fix}`,
        );
      }
    }
    if (!session.outputNames.includes('logits')) {
      throw new ModelLoadError(
        `${path} has no output 'logits' (outputs: ${session.outputNames.join(', ')})`,
      );
    }
    const representation = (options.representation ?? true) && hasRepresentation(session, path);
    return new ModelSession(session, kind, representation);
  }

  /**
   * Logits `[rows, classes]` and, when `representation`, the [CLS] vectors `[rows, hidden]`,
   * row-major. Throws ModelFailedError when the runtime does.
   */
  async run(batch: TokenBatch): Promise<BatchOutput> {
    if (batch.kind !== this.kind) {
      throw new ModelFailedError(`a ${batch.kind} batch cannot run on a ${this.kind} graph`);
    }
    const feeds = feedsFor(batch, this.session.inputNames.includes('token_type_ids'));
    try {
      const outputs = await this.session.run(feeds, this.fetches);
      const logits = (outputs.logits as ort.Tensor).data as Float32Array;
      if (!this.representation) return { logits };
      const representation = (outputs[REPRESENTATION_OUTPUT] as ort.Tensor).data as Float32Array;
      return { logits, representation };
    } catch (error) {
      throw new ModelFailedError(`inference failed: ${(error as Error).message}`, { cause: error });
    }
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}

/**
 * Whether the graph outputs REPRESENTATION_OUTPUT; one of another type or rank is refused at
 * load, not on the first batch.
 */
function hasRepresentation(session: ort.InferenceSession, path: string): boolean {
  const output = session.outputMetadata.find((meta) => meta.name === REPRESENTATION_OUTPUT);
  if (!output) return false;
  if (!output.isTensor || output.type !== 'float32' || output.shape.length !== 2) {
    const found = output.isTensor ? `${output.type} of rank ${output.shape.length}` : 'no tensor';
    throw new ModelLoadError(
      `${path} has an output '${REPRESENTATION_OUTPUT}' that is ${found}, not float32 [batch, hidden]`,
    );
  }
  return true;
}

/**
 * ONNX Runtime inputs for a batch. `tokenTypes` adds all-zero `token_type_ids`, which graphs
 * exported from BERT take (a single text is all segment 0).
 */
export function feedsFor(batch: TokenBatch, tokenTypes = false): Record<string, ort.Tensor> {
  if (batch.kind === 'packed') {
    const tokens = [batch.inputIds.length];
    const feeds: Record<string, ort.Tensor> = {
      input_ids: new ort.Tensor('int64', batch.inputIds, tokens),
      position_ids: new ort.Tensor('int64', batch.positionIds, tokens),
      unpad_index: new ort.Tensor('int64', batch.unpadIndex, tokens),
      cls_index: new ort.Tensor('int64', batch.clsIndex, [batch.rows]),
    };
    for (const group of PACKED_ATTENTION_GROUPS) {
      const { attentionMask, padIndex, rows, seqLen } = batch[group];
      feeds[`${group}_attention_mask`] = new ort.Tensor('int64', attentionMask, [rows, seqLen]);
      feeds[`${group}_pad_index`] = new ort.Tensor('int64', padIndex, [rows, seqLen]);
    }
    return feeds;
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
