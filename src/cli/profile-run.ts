import { ModelTokenizer } from '../engine/tokenizer.js';
import { softmax } from '../engine/softmax.js';
import { buildProfile } from '../monitoring/build-profile.js';
import { describePrediction, describeText, positiveClassId } from '../monitoring/descriptors.js';
import type { ReferenceProfile } from '../monitoring/profile.js';
import type { ReferenceData } from '../monitoring/reference-data.js';
import type { Service } from '../service.js';

/** Texts tokenized and queued at a time; two such chunks in flight keep the worker busy. */
const CHUNK_TEXTS = 64;
const CHUNKS_IN_FLIGHT = 2;

/**
 * Runs the service's model over a reference data set, through its batcher as served texts
 * go, and builds the profile: each text's descriptors (tokenizer.ts encodeMeasured,
 * descriptors.ts), its prediction's features, its [CLS] representation when the graph gives
 * one (copied: a row's is a view into its batch), the labels when the data has them.
 */
export async function profileWithService(
  service: Service,
  data: ReferenceData,
  options: {
    /** The data file's base name, recorded in the profile. */
    readonly dataName: string;
    readonly onProgress?: (done: number, total: number) => void;
  },
): Promise<ReferenceProfile> {
  const { model, engine } = service;
  const labels = model.config.labels;
  const positiveId = positiveClassId(labels);
  const tokenizer = ModelTokenizer.fromModelFiles(model.files, model.config.maxPositions);
  const total = data.texts.length;
  const vectors: number[][] = new Array<number[]>(total);
  const predicted: number[] = new Array<number>(total);
  const representations: (Float32Array | undefined)[] = new Array<Float32Array | undefined>(total);
  let done = 0;

  const runChunk = async (start: number): Promise<void> => {
    const texts = data.texts.slice(start, start + CHUNK_TEXTS);
    const reservation = engine.batcher.reserve(texts.length);
    let measured;
    try {
      measured = await tokenizer.encodeAllMeasured(texts);
    } catch (error) {
      reservation.release();
      throw error;
    }
    const rows = await Promise.all(reservation.submit(measured.map((one) => one.ids)));
    rows.forEach((row, i) => {
      const index = start + i;
      const scores = softmax(row.logits);
      vectors[index] = [
        ...describeText(
          texts[i] as string,
          measured[i] as (typeof measured)[number],
          tokenizer.unknownId,
        ),
        ...describePrediction(scores, positiveId),
      ];
      predicted[index] = argmax(scores);
      representations[index] = row.representation?.slice();
    });
    done += texts.length;
    options.onProgress?.(done, total);
  };

  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < total) {
      const start = next;
      next += CHUNK_TEXTS;
      await runChunk(start);
    }
  };
  await Promise.all(Array.from({ length: CHUNKS_IN_FLIGHT }, lane));

  const withRepresentation = representations.every((row) => row !== undefined);
  return buildProfile({
    data: options.dataName,
    labels,
    positiveId,
    vectors,
    representations: withRepresentation ? (representations as Float32Array[]) : undefined,
    textsPerRequest: data.requests,
    predicted,
    actual: data.labels,
    model: model.fingerprint,
  });
}

function argmax(scores: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < scores.length; i++)
    if ((scores[i] as number) > (scores[best] as number)) best = i;
  return best;
}
