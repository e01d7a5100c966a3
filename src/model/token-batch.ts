/**
 * The token batches an ONNX Runtime session consumes, and how sequences are arranged into
 * them. This is the model side's data type (as TEI keeps its `Batch` in the backend crate):
 * the batcher above decides which sequences share a pass, this file how they sit in tensors.
 */

/**
 * The packed graph's groups of attention rows, longest texts first: each is a pair of inputs,
 * `{group}_attention_mask` and `{group}_pad_index` (convert/encoder-graph.ts writes them,
 * session.ts feeds them).
 */
export const PACKED_ATTENTION_GROUPS = ['long', 'short'] as const;

/** A padded batch of token ids, row-major `[rows, seqLen]`, for the standard graph. */
export interface PaddedBatch {
  readonly kind: 'padded';
  readonly inputIds: BigInt64Array;
  readonly attentionMask: BigInt64Array;
  readonly rows: number;
  readonly seqLen: number;
}

/** One group of padded attention rows of a packed batch: `[rows, seqLen]` each. */
export interface AttentionRows {
  /** The token (index into the batch's tokens) in each slot; padding repeats a real one. */
  readonly padIndex: BigInt64Array;
  /** 1 for a real slot, 0 for padding. */
  readonly attentionMask: BigInt64Array;
  readonly rows: number;
  readonly seqLen: number;
}

/**
 * Sequences with no padding, for the packed graph (signature in convert/encoder-graph.ts):
 * `inputIds` and `positionIds` hold the tokens of every sequence one after another, and
 * `clsIndex` where each starts. Attention alone runs padded, in two groups of rows (`long`,
 * `short`); `unpadIndex` names each token's slot in the groups' slots laid end to end.
 */
export interface PackedBatch {
  readonly kind: 'packed';
  readonly inputIds: BigInt64Array;
  readonly positionIds: BigInt64Array;
  readonly clsIndex: BigInt64Array;
  readonly unpadIndex: BigInt64Array;
  readonly long: AttentionRows;
  readonly short: AttentionRows;
  /** Sequences in the batch (rows of logits). */
  readonly rows: number;
}

export type TokenBatch = PaddedBatch | PackedBatch;

/** The graph signatures the service runs. */
export type GraphKind = TokenBatch['kind'];

/**
 * The optional graph output holding each sequence's [CLS] vector as the classifier head reads
 * it, float32 [batch, hidden] (convert/encoder-graph.ts writes it, session.ts fetches it when
 * the graph has it; Hugging Face exports have none).
 */
export const REPRESENTATION_OUTPUT = 'cls_representation';

/** What a session returns for one batch: row-major tensors, one row per sequence. */
export interface BatchOutput {
  /** `[rows, classes]`. */
  readonly logits: Float32Array;
  /** `[rows, hidden]`, when the graph has REPRESENTATION_OUTPUT (and it was asked for). */
  readonly representation?: Float32Array;
}

/**
 * What a batch returns for one of its texts: its logits and, when the graph has the output,
 * its [CLS] representation. Both are views into the batch's buffers (no copy per row): copy
 * one before keeping it beyond the request, or it holds the whole batch's buffer alive.
 */
export interface InferenceRow {
  readonly logits: Float32Array;
  readonly representation?: Float32Array;
}

/** Splits a batch's output into its `rows` texts' rows, as views (see InferenceRow). */
export function inferenceRows(output: BatchOutput, rows: number): InferenceRow[] {
  const { logits, representation } = output;
  const classes = logits.length / rows;
  const hidden = representation ? representation.length / rows : 0;
  return Array.from({ length: rows }, (_, row) =>
    representation
      ? {
          logits: logits.subarray(row * classes, (row + 1) * classes),
          representation: representation.subarray(row * hidden, (row + 1) * hidden),
        }
      : { logits: logits.subarray(row * classes, (row + 1) * classes) },
  );
}

/** A batch ready for a session, with its token counts for the metrics. */
export interface AssembledBatch<B extends TokenBatch> {
  readonly batch: B;
  readonly realTokens: number;
  /** Tokens the forward pass computes: rows × padded length, or the packed total. */
  readonly computedTokens: number;
}

export type Sequences = readonly { readonly ids: readonly number[] }[];

/** Right-pads sequences with id 0 and a zero attention mask to the longest in the batch. */
export function pad(items: Sequences): AssembledBatch<PaddedBatch> {
  const rows = items.length;
  const seqLen = Math.max(...items.map((item) => item.ids.length));
  const inputIds = new BigInt64Array(rows * seqLen);
  const attentionMask = new BigInt64Array(rows * seqLen);
  let realTokens = 0;
  items.forEach(({ ids }, row) => {
    const offset = row * seqLen;
    for (let i = 0; i < ids.length; i++) {
      inputIds[offset + i] = BigInt(ids[i] as number);
      attentionMask[offset + i] = 1n;
    }
    realTokens += ids.length;
  });
  return {
    batch: { kind: 'padded', inputIds, attentionMask, rows, seqLen },
    realTokens,
    computedTokens: rows * seqLen,
  };
}

/** Arranges sequences as a graph of `kind` takes them: padded rows, or packed. */
export function assembleBatch(kind: GraphKind, items: Sequences): AssembledBatch<TokenBatch> {
  return kind === 'packed' ? pack(items) : pad(items);
}

/**
 * Lays sequences out for the packed graph: their tokens one after another (in item order, so
 * logits come back in item order), and, for attention, two groups of padded rows: the longest
 * texts in one, the rest in the other, split where the padded attention area Σ rows × S² is
 * least (the area it saves is measured by `npm run bench:profile`, docs/benchmarks.md). A batch of one text leaves the short group
 * one masked dummy slot.
 */
export function pack(items: Sequences): AssembledBatch<PackedBatch> {
  const rows = items.length;
  const lengths = items.map((item) => item.ids.length);
  const total = lengths.reduce((sum, n) => sum + n, 0);
  const inputIds = new BigInt64Array(total);
  const positionIds = new BigInt64Array(total);
  const offsets: number[] = [];
  let offset = 0;
  items.forEach(({ ids }) => {
    offsets.push(offset);
    for (let i = 0; i < ids.length; i++) {
      inputIds[offset + i] = BigInt(ids[i] as number);
      positionIds[offset + i] = BigInt(i);
    }
    offset += ids.length;
  });

  const byLength = lengths.map((_, item) => item).sort((a, b) => lengths[b]! - lengths[a]!);
  const area = (k: number) =>
    k * lengths[byLength[0]!]! ** 2 + (k < rows ? (rows - k) * lengths[byLength[k]!]! ** 2 : 0);
  let split = rows;
  for (let k = 1; k < rows; k++) if (area(k) < area(split)) split = k;

  const unpadIndex = new BigInt64Array(total);
  const group = (members: number[], base: number) => {
    if (members.length === 0) {
      // Masked, and no token is gathered from it: it only keeps the graph's shapes non-empty.
      return {
        padIndex: new BigInt64Array(1),
        attentionMask: new BigInt64Array(1),
        rows: 1,
        seqLen: 1,
      };
    }
    const seqLen = lengths[members[0]!]!;
    const padIndex = new BigInt64Array(members.length * seqLen);
    const attentionMask = new BigInt64Array(members.length * seqLen);
    members.forEach((item, row) => {
      const slot = row * seqLen;
      const start = offsets[item]!;
      for (let i = 0; i < lengths[item]!; i++) {
        padIndex[slot + i] = BigInt(start + i);
        attentionMask[slot + i] = 1n;
        unpadIndex[start + i] = BigInt(base + slot + i);
      }
      padIndex.fill(BigInt(start), slot + lengths[item]!, slot + seqLen);
    });
    return { padIndex, attentionMask, rows: members.length, seqLen };
  };
  const clsIndex = BigInt64Array.from(offsets, BigInt);
  const long = group(byLength.slice(0, split), 0);
  const short = group(byLength.slice(split), long.rows * long.seqLen);
  return {
    batch: { kind: 'packed', inputIds, positionIds, clsIndex, unpadIndex, long, short, rows },
    realTokens: total,
    computedTokens: total,
  };
}

/**
 * Every buffer a batch holds, to transfer (not copy) it to an inference worker; listed from
 * the batch itself, so a new field cannot be silently copied instead.
 */
export function batchBuffers(batch: TokenBatch): ArrayBuffer[] {
  const arrays = Object.values(batch).flatMap((value: unknown) =>
    value instanceof BigInt64Array
      ? [value]
      : value && typeof value === 'object'
        ? Object.values(value).filter((inner) => inner instanceof BigInt64Array)
        : [],
  ) as BigInt64Array[];
  return arrays.map((array) => array.buffer as ArrayBuffer);
}
