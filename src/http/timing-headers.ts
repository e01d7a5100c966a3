import type { FastifyReply } from 'fastify';
import type { StageTimes } from '../engine/stage-times.js';

/**
 * The timing headers of text-embeddings-inference (router/src/http/server.rs), in whole
 * milliseconds truncated as TEI's `as_millis()`, so its clients and dashboards read ours:
 * - `x-total-time`: from when the request's headers were read (Fastify's `elapsedTime`, what
 *   `sentiment_http_request_duration_seconds` records) to the answer, reading the body and
 *   validation included. TEI starts at its handler, after the body; we count from earlier so
 *   the header and the latency histogram agree.
 * - `x-tokenization-time`, `x-queue-time`, `x-inference-time`: per text, averaged over the
 *   texts the request waited for (engine/stage-times.ts), as TEI averages over a batch
 *   request's inputs; 0 when every text came from the cache.
 * Each stage follows the one before, so the three never add up to more than the total.
 */
export function setTimingHeaders(reply: FastifyReply, stages: StageTimes): void {
  reply.header('x-total-time', wholeMs(reply.elapsedTime));
  reply.header('x-tokenization-time', wholeMs(stages.tokenizeMs));
  reply.header('x-queue-time', wholeMs(stages.queueMs));
  reply.header('x-inference-time', wholeMs(stages.inferenceMs));
}

const wholeMs = (ms: number): string => String(Math.max(0, Math.floor(ms)));

const WHOLE_MS = { type: 'string', pattern: '^[0-9]+$' } as const;

/**
 * The headers a classifying route's 200 answer carries, for the OpenAPI document
 * (@fastify/swagger reads a response schema's `headers`).
 */
const DOCUMENTED_HEADERS = {
  'x-request-id': {
    type: 'string',
    description:
      "The request's id: its own x-request-id when at most 128 of A-Za-z0-9_.:+/=@-, else a UUID",
  },
  'x-total-time': { ...WHOLE_MS, description: 'ms from the request headers to the answer' },
  'x-tokenization-time': { ...WHOLE_MS, description: 'ms tokenizing, per text (mean)' },
  'x-queue-time': { ...WHOLE_MS, description: 'ms queued for a worker, per text (mean)' },
  'x-inference-time': { ...WHOLE_MS, description: 'ms of forward pass, per text (mean)' },
} as const;

/** A 200 response schema with the timing headers and the request id documented. */
export function withTimingHeaders<T extends object>(schema: T): T {
  return { ...schema, headers: DOCUMENTED_HEADERS };
}
