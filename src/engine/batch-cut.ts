import type { GraphKind } from '../model/token-batch.js';

/** What a cut reads of a queued text: its token ids. */
export interface Cuttable {
  readonly ids: readonly number[];
}

/** The batcher's limits a cut obeys (BatcherOptions, batcher.ts). */
export interface CutLimits {
  readonly maxItems: number;
  readonly maxTokens: number;
  /** Largest share of a batch's tokens that may be padding (0–1); padded graphs only. */
  readonly maxPadding: number;
  readonly graph: GraphKind;
}

/**
 * Which queued texts make the next batch: their positions in `queue`, ascending; never empty
 * for a non-empty queue (the oldest text always goes, so nobody starves). Pure: the batcher
 * owns the queue and removes what is cut.
 */
export function cutBatch(queue: readonly Cuttable[], limits: CutLimits): number[] {
  return limits.graph === 'packed' ? cutPacked(queue, limits) : cutPadded(queue, limits);
}

/**
 * Padded graphs: the oldest text plus the texts closest to it in length among the oldest
 * CUT_WINDOW, while rows ≤ maxItems, rows × longest ≤ maxTokens, and padding stays within
 * its share (padding is computed and thrown away: past the allowed share, a smaller batch is
 * cheaper).
 */
function cutPadded(queue: readonly Cuttable[], limits: CutLimits): number[] {
  const target = (queue[0] as Cuttable).ids.length;
  const window = queue.slice(0, Math.max(CUT_WINDOW, 4 * limits.maxItems));
  const byCloseness = window
    .map((item, index) => ({ length: item.ids.length, index }))
    .sort((a, b) => Math.abs(a.length - target) - Math.abs(b.length - target) || a.index - b.index);
  const taken: number[] = [];
  let longest = 0;
  let real = 0;
  for (const { length, index } of byCloseness) {
    if (taken.length >= limits.maxItems) break;
    const padded = Math.max(longest, length) * (taken.length + 1);
    if (taken.length > 0) {
      if (padded > limits.maxTokens) continue;
      if (padded - (real + length) > limits.maxPadding * padded) continue;
    }
    taken.push(index);
    longest = Math.max(longest, length);
    real += length;
  }
  return taken.sort((a, b) => a - b);
}

/**
 * A packed graph runs its projections and FFN on real tokens only (attention, a few percent
 * of the work, is padded), so lengths need not match: the queue in arrival order while the
 * texts fit the item count and the token budget.
 */
function cutPacked(queue: readonly Cuttable[], limits: CutLimits): number[] {
  let tokens = 0;
  const taken: number[] = [];
  for (const item of queue) {
    if (taken.length >= limits.maxItems) break;
    if (taken.length > 0 && tokens + item.ids.length > limits.maxTokens) break;
    tokens += item.ids.length;
    taken.push(taken.length);
  }
  return taken;
}

/**
 * Padded graphs: how many of the oldest texts a batch is chosen among (at least 4 batches'
 * worth). Sorting all of a deep queue for every batch cost the event loop more than the
 * padding it saved (docs/benchmarks.md, "Overload").
 */
const CUT_WINDOW = 256;
