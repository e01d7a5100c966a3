/**
 * Feature vectors for the monitor's unit tests: the input descriptors are real (the bundled
 * model's tokenizer and descriptors.ts on real texts: SST-2 dev, SQuAD questions, long texts in
 * other languages); the prediction features are synthetic (seeded), since these tests run no
 * model: confidence uniform in [0.5, 1), margin 2c − 1, and a positive flag drawn with a
 * chosen positive rate. The integration test with the real model is the service's.
 */
import { readFileSync } from 'node:fs';
import { BUNDLED_MODEL_DIR } from '../../src/config.js';
import { ModelTokenizer } from '../../src/engine/tokenizer.js';
import { resolveModelFiles } from '../../src/model/model-files.js';
import { describeText } from '../../src/monitoring/descriptors.js';
import type { FeatureVector } from '../../src/monitoring/types.js';
import { readSst2, SST2_DEV } from '../../devkit/sst2-sentences.js';
import { shared } from '../../devkit/shared-data.js';

export const SQUAD_PATH =
  'data/distilbert-base-uncased/fixtures/squad_dev_v1.1_questions_bert_uncased_ids.jsonl';

const tokenizer = ModelTokenizer.fromModelFiles(resolveModelFiles(BUNDLED_MODEL_DIR, 'fp32'), 512);

/** A seeded PRNG in [0, 1) (mulberry32). */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** A seeded Fisher–Yates shuffle of a copy. */
export function shuffled<T>(items: readonly T[], seed: number): T[] {
  const next = random(seed);
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
  }
  return copy;
}

/**
 * Each text's feature vector: its real descriptors, then synthetic prediction features.
 * `positiveRate` of the texts are predicted positive; confidence is uniform in
 * [confidenceFrom, confidenceFrom + confidenceSpread), by default [0.5, 1).
 */
export function vectorsOf(
  texts: readonly string[],
  seed: number,
  options: { positiveRate?: number; confidenceFrom?: number; confidenceSpread?: number } = {},
): FeatureVector[] {
  const { positiveRate = 0.5, confidenceFrom = 0.5 } = options;
  const confidenceSpread = options.confidenceSpread ?? 1 - confidenceFrom;
  const next = random(seed);
  return texts.map((text) => {
    const measured = tokenizer.encodeMeasured(text);
    const confidence = confidenceFrom + next() * confidenceSpread;
    const positive = next() < positiveRate ? 1 : 0;
    return [
      ...describeText(text, measured, tokenizer.unknownId),
      confidence,
      positive,
      2 * confidence - 1,
    ];
  });
}

/** SST-2 dev split in two halves by row parity: reference rows and held-out rows. */
export function sst2Halves(): { reference: string[]; heldOut: string[] } {
  const rows = readSst2(SST2_DEV).map((row) => row.sentence.trim());
  return {
    reference: rows.filter((_, i) => i % 2 === 0),
    heldOut: rows.filter((_, i) => i % 2 === 1),
  };
}

export function sst2Negatives(): string[] {
  return readSst2(SST2_DEV)
    .filter((row) => row.label === 0)
    .map((row) => row.sentence.trim());
}

export function squadQuestions(count: number): string[] {
  return readFileSync(shared(SQUAD_PATH), 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .slice(0, count)
    .map((line) => (JSON.parse(line) as { text: string }).text);
}

const FOREIGN = [
  'Der Film war lang, aber die Schauspieler haben ihre Rollen mit großer Überzeugung gespielt.',
  'Die Handlung zieht sich, und am Ende weiß man nicht mehr, worum es eigentlich ging.',
  'Фильм оказался гораздо лучше, чем я ожидал, особенно музыка и операторская работа.',
  'Сюжет слишком затянут, а диалоги звучат неестественно и скучно.',
  '这部电影的节奏很慢，但是演员的表演非常出色，让人印象深刻。',
  '剧情有些混乱，结尾也没有给观众一个满意的交代。',
  'Le scénario est prévisible, mais la mise en scène reste élégante du début à la fin.',
  'Los diálogos son torpes y la música no ayuda a crear ninguna tensión.',
];

/** Long texts (40–80 sentences) in German, Russian, Chinese, French and Spanish. */
export function longForeignTexts(count: number, seed: number): string[] {
  const next = random(seed);
  return Array.from({ length: count }, () =>
    Array.from(
      { length: 40 + Math.floor(next() * 41) },
      () => FOREIGN[Math.floor(next() * FOREIGN.length)] as string,
    ).join(' '),
  );
}
