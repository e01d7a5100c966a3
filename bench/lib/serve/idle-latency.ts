/**
 * bench:serve part (4): one short text on the idle service against batch-1 forward passes of
 * the same graph, in alternating rounds (target: ≤ 1 ms apart). Beside it, the no-op server's
 * round trip around an idle wait as long as one pass: the part of the difference that is this
 * machine's HTTP and wake-up cost.
 */
import { startChildServer, type ChildServer } from '../../../devkit/child-service.js';
import { growth, scrapeMetrics } from '../../../src/load/server-metrics.js';
import { NOOP_SERVER_SCRIPT } from '../noop-app.js';
import { RawOrt } from '../raw-ort.js';
import { heldRoundTrips, requestLatencies } from '../timed-requests.js';
import { median, type ReportTable } from './report-table.js';
import type { ServeContext } from './serve-context.js';

/** The text part (4) sends. */
export const SHORT_TEXT = 'I love you';

/** What part (4) measured: latencies in ms, ascending (empty when part (4) did not run). */
export interface IdleLatency {
  readonly rawBatch1Ms: number[];
  readonly serviceIdleMs: number[];
  /** The no-op server's round trips, each held as long as its round's median raw pass. */
  readonly httpFloorMs: number[];
  /** The service's own mean forward pass (worker hand-off included), from its /metrics. */
  readonly serviceForwardMs: number | undefined;
}

/** No part (4). */
export const NO_IDLE_LATENCY: IdleLatency = {
  rawBatch1Ms: [],
  serviceIdleMs: [],
  httpFloorMs: [],
  serviceForwardMs: undefined,
};

/** Part (4) against `service`, a running service with no cache. */
export async function measureIdleLatency(
  ctx: ServeContext,
  service: ChildServer,
): Promise<IdleLatency> {
  const { config, serviceGraph } = ctx;
  const rawBatch1Ms: number[] = [];
  const serviceIdleMs: number[] = [];
  const httpFloorMs: number[] = [];
  // Raw batch 1 and the idle service in alternating rounds, so drift on this shared machine
  // lands on both sides alike. The raw session is started afresh each round and closed before
  // the service is timed: two resident copies of the weights would evict each other from the
  // CPU cache. The no-op server held as long as the round's raw pass gives HTTP's own cost on
  // this machine when both ends have idled that long (a vCPU woken from halt pays for it).
  const ids = ctx.tokenizer.encode(SHORT_TEXT);
  const noop = await startChildServer(NOOP_SERVER_SCRIPT, {});
  const before = await scrapeMetrics(service.baseUrl);
  try {
    for (let round = 0; round < (ctx.quick ? 2 : 6); round++) {
      const ort = await RawOrt.start(
        serviceGraph.path,
        1,
        config.inferenceThreads,
        serviceGraph.kind,
      );
      const rawMs = await ort.latencies(ids, 50);
      await ort.close();
      rawBatch1Ms.push(...rawMs);
      serviceIdleMs.push(...(await requestLatencies(service.baseUrl, SHORT_TEXT, 50)));
      const hold = Math.round(rawMs[rawMs.length >> 1] as number);
      httpFloorMs.push(...(await heldRoundTrips(noop.baseUrl, hold, 50)));
    }
  } finally {
    await noop.stop();
  }
  // The service's own account of its forward passes (worker hand-off included): splits the
  // difference into the HTTP path and the worker.
  const after = await scrapeMetrics(service.baseUrl);
  const delta = growth(before, after);
  const serviceForwardMs =
    (delta('sentiment_inference_duration_seconds_sum') /
      delta('sentiment_inference_duration_seconds_count')) *
    1000;
  const ascending = (values: number[]): number[] => values.sort((a, b) => a - b);
  return {
    rawBatch1Ms: ascending(rawBatch1Ms),
    serviceIdleMs: ascending(serviceIdleMs),
    httpFloorMs: ascending(httpFloorMs),
    serviceForwardMs,
  };
}

/** Part (4)'s medians, as the result file keeps them. */
export function idleSummary(idle: IdleLatency): Record<string, number | undefined> {
  return {
    serviceMedianMs: median(idle.serviceIdleMs),
    rawBatch1MedianMs: median(idle.rawBatch1Ms),
    serviceForwardMeanMs: idle.serviceForwardMs,
    httpFloorMedianMs: median(idle.httpFloorMs),
  };
}

/** Part (4)'s lines of the report. */
export function addIdleRows(ctx: ServeContext, idle: IdleLatency, table: ReportTable): void {
  const { serviceIdleMs, rawBatch1Ms, httpFloorMs, serviceForwardMs } = idle;
  if (!serviceIdleMs.length || !rawBatch1Ms.length) return;
  const diff = median(serviceIdleMs) - median(rawBatch1Ms);
  table.add(
    `(4) idle service, one text ("${SHORT_TEXT}"), median of ${serviceIdleMs.length}`,
    `${median(serviceIdleMs).toFixed(3)} ms`,
  );
  table.add(
    `    raw ORT batch 1, ${ctx.serviceGraph.kind} graph, ${ctx.config.inferenceThreads} thread(s), median of ${rawBatch1Ms.length}, rounds alternated`,
    `${median(rawBatch1Ms).toFixed(3)} ms`,
  );
  table.add('    difference', `${diff.toFixed(3)} ms`, '≤ 1 ms', diff <= 1);
  if (serviceForwardMs !== undefined)
    table.add(
      '    service forward pass incl. worker hand-off, mean (/metrics)',
      `${serviceForwardMs.toFixed(3)} ms`,
    );
  if (httpFloorMs.length) {
    table.add(
      '    HTTP round trip around an idle wait of one pass (no-op server)',
      `${median(httpFloorMs).toFixed(3)} ms`,
    );
    table.add(
      '    difference beyond that HTTP round trip',
      `${(diff - median(httpFloorMs)).toFixed(3)} ms`,
    );
  }
}
