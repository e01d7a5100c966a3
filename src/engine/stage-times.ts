/**
 * Where one request's time went, per stage, as text-embeddings-inference reports it in its
 * `x-tokenization-time`, `x-queue-time` and `x-inference-time` headers (router/src/http/
 * server.rs): each stage's time per text, averaged over the request's texts. Milliseconds.
 */
export interface StageTimes {
  /** Tokenizing the texts (one call for all of a request's new texts). */
  readonly tokenizeMs: number;
  /** Waiting in the batcher's queue for a worker. */
  readonly queueMs: number;
  /** The forward pass of the batch that held the text, the hand-off to its worker included. */
  readonly inferenceMs: number;
}

/** A request whose texts all came from the cache spent nothing in any stage. */
export const NO_STAGES: StageTimes = Object.freeze({ tokenizeMs: 0, queueMs: 0, inferenceMs: 0 });

/**
 * When the stages of one text's computation ran, filled in as they happen (the classifier
 * writes the tokenizing and the end, the batcher the queue and the forward pass) and read by
 * every request that waited for the text: its own, and the ones that joined it (coalescing).
 */
export interface TextStages {
  tokenizeMs: number;
  queueMs: number;
  inferenceMs: number;
  /** When the text's scores were there (the clock of `joinedAt` below); NaN until then. */
  doneAt: number;
}

export function pendingStages(): TextStages {
  return { tokenizeMs: 0, queueMs: 0, inferenceMs: 0, doneAt: Number.NaN };
}

/**
 * A request's time per stage: for each distinct text it waited for, the part of each stage
 * that fell after `joinedAt` (the moment the request asked for it), the stages taken back
 * from the end (inference, then the queue, then tokenizing), so a request that joined a text
 * another request had already queued reports only the wait it had; then the mean over the
 * texts, as TEI averages over a batch request's inputs. The stages of one text follow each
 * other, so the three together never exceed the wait, nor the request's total time.
 */
export function requestStages(texts: readonly TextStages[], joinedAt: number): StageTimes {
  if (texts.length === 0) return NO_STAGES;
  let tokenizeMs = 0;
  let queueMs = 0;
  let inferenceMs = 0;
  for (const text of texts) {
    let left = Number.isNaN(text.doneAt) ? 0 : Math.max(0, text.doneAt - joinedAt);
    const inference = Math.min(text.inferenceMs, left);
    left -= inference;
    const queue = Math.min(text.queueMs, left);
    left -= queue;
    inferenceMs += inference;
    queueMs += queue;
    tokenizeMs += Math.min(text.tokenizeMs, left);
  }
  const n = texts.length;
  return { tokenizeMs: tokenizeMs / n, queueMs: queueMs / n, inferenceMs: inferenceMs / n };
}
