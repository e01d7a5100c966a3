/**
 * The load of the real-Prometheus test: requests of in-distribution SST-2 sentences, then, from
 * halfway on, texts unlike any review (SQuAD questions, and long texts of many questions run
 * together, truncated at the model's 512 word-pieces); labelled feedback and a few malformed
 * requests on the way, so every panel of the dashboard has something to show.
 */
import { readFileSync } from 'node:fs';
import { readSst2, SST2_DEV } from '../../devkit/sst2-sentences.js';
import { shared } from '../../devkit/shared-data.js';

/** SQuAD v1.1 dev questions (10,570), in ../shared beside the tokenizer fixtures. */
export const SQUAD_QUESTIONS = [
  'data',
  'distilbert-base-uncased',
  'fixtures',
  'squad_dev_v1.1_questions_bert_uncased_ids.jsonl',
] as const;

/** A seeded shuffle (the same order every run). */
function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let state = seed;
  for (let i = out.length - 1; i > 0; i--) {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    const j = state % (i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

export interface DriftStream {
  /** SST-2 dev rows, shuffled: the reference's own distribution. */
  readonly reviews: readonly { sentence: string; label: number }[];
  /** Questions and long texts, alternating. */
  readonly drifted: readonly string[];
}

export function driftStream(): DriftStream {
  const questions = readFileSync(shared(...SQUAD_QUESTIONS), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => (JSON.parse(line) as { text: string }).text);
  const mixed = shuffled(questions, 7);
  const drifted: string[] = [];
  for (let i = 0; i + 60 < mixed.length && drifted.length < 2000; i += 61) {
    drifted.push(mixed[i] as string);
    // Sixty questions in a row: ~700 word-pieces, past the model's 512.
    drifted.push(mixed.slice(i + 1, i + 61).join(' '));
  }
  // Trimmed as the profile command reads them (SST-2 leaves a space before the tab): a space
  // after every text moves letter_share past the warning band on its own.
  const reviews = readSst2(SST2_DEV).map((row) => ({ ...row, sentence: row.sentence.trim() }));
  return { reviews: shuffled(reviews, 11), drifted };
}

/** POST `path` with a JSON body; the status and the parsed answer. */
export async function post(
  baseUrl: string,
  path: string,
  body: unknown,
): Promise<{ status: number; body: unknown }> {
  const res = await fetch(new URL(path, baseUrl), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as unknown) : undefined };
}

/** How `sendTexts` sends. */
export interface SendOptions {
  /** Texts to send, taken from the list in turn (cycling). */
  readonly count: number;
  /** Clients sending at once, each one request at a time. */
  readonly lanes: number;
  /** Each client sends at most one request per this many milliseconds. */
  readonly paceMs: number;
}

/**
 * Sends `count` texts from `texts`, one per request as the reference profile's requests
 * came (texts_per_request 1), from `lanes` clients at once; fails on any answer but 200.
 */
export async function sendTexts(
  baseUrl: string,
  texts: readonly string[],
  { count, lanes, paceMs }: SendOptions,
): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < count) {
      const started = Date.now();
      const text = texts[next++ % texts.length] as string;
      const { status, body } = await post(baseUrl, '/predict', { text: [text] });
      if (status !== 200) throw new Error(`/predict answered ${status}: ${JSON.stringify(body)}`);
      const left = paceMs - (Date.now() - started);
      if (left > 0) await new Promise((resolve) => setTimeout(resolve, left));
    }
  };
  await Promise.all(Array.from({ length: lanes }, lane));
}
