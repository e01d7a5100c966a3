import { resolve } from 'node:path';

/**
 * Refuses a comparison across graphs: the service must serve the very file the raw ceiling
 * and the idle baseline ran (same dtype, same packed or padded variant), read from the
 * service's own `sentiment_model_info` metric. A ratio of an int8 service over an fp32 raw
 * ceiling says nothing, and a benchmark that prints one is worse than none.
 */
export async function assertServesGraph(baseUrl: string, expected: string): Promise<void> {
  const exposition = await (await fetch(`${baseUrl}/metrics`)).text();
  const graph = /^sentiment_model_info\{[^}]*graph="([^"]*)"/m.exec(exposition)?.[1];
  if (graph === undefined) {
    throw new Error(
      `bench:serve: ${baseUrl}/metrics has no sentiment_model_info; refusing to compare`,
    );
  }
  if (resolve(graph) !== resolve(expected)) {
    throw new Error(
      `bench:serve: the service serves ${graph} but the raw runs use ${expected}; refusing to compare unlike graphs (check --dtype, MODEL_DTYPE and BATCH_PACKING)`,
    );
  }
}
