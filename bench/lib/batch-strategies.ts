import * as ort from 'onnxruntime-node';
import { assembleBatch } from '../../src/model/token-batch.js';
import { ModelTokenizer } from '../../src/engine/tokenizer.js';
import { feedsFor } from '../../src/model/session.js';
import { readModelConfig, resolveModelFiles } from '../../src/model/model-files.js';
import { sst2Sentences } from '../../devkit/sst2-sentences.js';

/** One way of cutting the SST-2 dev sentences into graph runs. */
export interface BatchStrategy {
  readonly name: string;
  /** `padded`: the normal graph, right-padded batches; `packed`: one row per batch. */
  readonly graph: 'padded' | 'packed';
  readonly size: number;
  /** Sorted by length first (the least padding any batcher could get) or arrival order. */
  readonly sorted: boolean;
}

/** The strategies `bench:model --packed` compares; the first is the reference. */
export const BATCH_STRATEGIES: readonly BatchStrategy[] = [
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

/** Feeds for every batch of `strategy`, and the tokens each pass computes (padding included). */
export function strategyFeeds(
  sequences: readonly number[][],
  strategy: BatchStrategy,
): { feeds: Record<string, ort.Tensor>[]; tokens: number } {
  const ordered = strategy.sorted ? [...sequences].sort((a, b) => a.length - b.length) : sequences;
  const feeds: Record<string, ort.Tensor>[] = [];
  let tokens = 0;
  for (let i = 0; i < ordered.length; i += strategy.size) {
    const batch = ordered.slice(i, i + strategy.size);
    const sequences = batch.map((ids) => ({ ids }));
    const fed = feedsFor(assembleBatch(strategy.graph, sequences).batch);
    feeds.push(fed);
    tokens += fed.input_ids!.data.length;
  }
  return { feeds, tokens };
}
