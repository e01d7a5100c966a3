import * as ort from 'onnxruntime-node';
import { ModelFailed, ModelLoadError } from '../errors.js';

/** How an ONNX Runtime session is set up; one per inference worker. */
export interface SessionOptions {
  /** Intra-op threads: parallelism inside one forward pass. */
  readonly intraOpThreads: number;
}

/** A padded batch of token ids, row-major `[rows, seqLen]`. */
export interface TokenBatch {
  readonly inputIds: BigInt64Array;
  readonly attentionMask: BigInt64Array;
  readonly rows: number;
  readonly seqLen: number;
}

/**
 * The only door to ONNX Runtime (as transformers.js `backends/onnx.js` is): loads a graph with
 * the Hugging Face export signature (`input_ids`, `attention_mask` → `logits`) and runs it.
 */
export class ModelSession {
  private constructor(
    private readonly session: ort.InferenceSession,
    /** Classes per row of logits, read from the graph's output shape on first run. */
    readonly path: string,
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
    for (const name of ['input_ids', 'attention_mask']) {
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
    return new ModelSession(session, path);
  }

  /** Logits `[rows, classes]`, row-major. Throws ModelFailed when the runtime does. */
  async run(batch: TokenBatch): Promise<Float32Array> {
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
