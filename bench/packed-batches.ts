import * as ort from 'onnxruntime-node';
import { ModelTokenizer } from '../src/engine/tokenizer.js';
import { readModelConfig, resolveModelFiles } from '../src/model/layout.js';
import { sst2Sentences } from './sst2-sentences.js';

/** One way of cutting the SST-2 dev sentences into graph runs. */
export interface BatchLayout {
  readonly name: string;
  /** `padded`: the normal graph, right-padded batches; `packed`: one row per batch. */
  readonly graph: 'padded' | 'packed';
  readonly size: number;
  /** Sorted by length first (the least padding any batcher could get) or arrival order. */
  readonly sorted: boolean;
}

export const PACKED_LAYOUTS: readonly BatchLayout[] = [
  { name: 'normal, sorted by length, batch 8', graph: 'padded', size: 8, sorted: true },
  { name: 'normal, sorted by length, batch 32', graph: 'padded', size: 32, sorted: true },
  { name: 'normal, arrival order, batch 8', graph: 'padded', size: 8, sorted: false },
  { name: 'packed, arrival order, 8 per pack', graph: 'packed', size: 8, sorted: false },
  { name: 'packed, arrival order, 16 per pack', graph: 'packed', size: 16, sorted: false },
];

/** The SST-2 dev sentences as token ids, tokenized as the service does. */
export function sst2TokenIds(dir: string): number[][] {
  const files = resolveModelFiles(dir, 'fp32');
  const tokenizer = ModelTokenizer.fromModelFiles(
    files,
    readModelConfig(files.configPath).maxPositions,
  );
  return sst2Sentences().sentences.map((text) => tokenizer.encode(text));
}

/** Feeds for every batch of `layout`, and the tokens each pass computes (padding included). */
export function layoutFeeds(
  sequences: readonly number[][],
  layout: BatchLayout,
): { feeds: Record<string, ort.Tensor>[]; tokens: number } {
  const ordered = layout.sorted ? [...sequences].sort((a, b) => a.length - b.length) : sequences;
  const feeds: Record<string, ort.Tensor>[] = [];
  let tokens = 0;
  for (let i = 0; i < ordered.length; i += layout.size) {
    const batch = ordered.slice(i, i + layout.size);
    const fed = layout.graph === 'packed' ? packedFeeds(batch) : paddedFeeds(batch);
    feeds.push(fed);
    tokens += fed.input_ids!.data.length;
  }
  return { feeds, tokens };
}

function paddedFeeds(batch: readonly number[][]): Record<string, ort.Tensor> {
  const length = Math.max(...batch.map((ids) => ids.length));
  const ids = new BigInt64Array(batch.length * length);
  const mask = new BigInt64Array(batch.length * length);
  batch.forEach((row, b) =>
    row.forEach((id, t) => {
      ids[b * length + t] = BigInt(id);
      mask[b * length + t] = 1n;
    }),
  );
  const dims = [batch.length, length];
  return {
    input_ids: new ort.Tensor('int64', ids, dims),
    attention_mask: new ort.Tensor('int64', mask, dims),
  };
}

/** The packed graph's four inputs (signature in src/model/convert/encoder-graph.ts). */
function packedFeeds(batch: readonly number[][]): Record<string, ort.Tensor> {
  const total = batch.reduce((n, ids) => n + ids.length, 0);
  const ids = new BigInt64Array(total);
  const positions = new BigInt64Array(total);
  const segments = new BigInt64Array(total);
  const cls = new BigInt64Array(batch.length);
  let t = 0;
  batch.forEach((row, s) => {
    cls[s] = BigInt(t);
    row.forEach((id, p) => {
      ids[t] = BigInt(id);
      positions[t] = BigInt(p);
      segments[t] = BigInt(s);
      t++;
    });
  });
  return {
    input_ids: new ort.Tensor('int64', ids, [1, total]),
    position_ids: new ort.Tensor('int64', positions, [1, total]),
    segment_ids: new ort.Tensor('int64', segments, [1, total]),
    cls_index: new ort.Tensor('int64', cls, [batch.length]),
  };
}
