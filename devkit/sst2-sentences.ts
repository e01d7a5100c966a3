import { existsSync, readFileSync } from 'node:fs';
import { shared } from './shared-data.js';

/** SST-2's dev split in ../shared beside the checkout (SHARED_DIR overrides). */
export const SST2_DEV = shared('data', 'sst2', 'dev.tsv');

/** The labelled rows of an SST-2 TSV (`sentence<TAB>label`, with a header line). */
export function readSst2(path: string): { sentence: string; label: number }[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .slice(1)
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const [sentence = '', label] = line.split('\t');
      return { sentence, label: Number(label) };
    });
}

const WORDS = (
  'the a film movie story is was but and not very too its it of with an as so ' +
  'charming dull funny boring moving bleak smart tedious great awful performances script'
).split(' ');

/**
 * The 872 sentences of SST-2 dev (TSV `sentence<TAB>label` with a header), or, without
 * ../shared, as many distinct generated sentences of similar length (8–40 words, seeded).
 */
export function sst2Sentences(): { sentences: string[]; source: string } {
  if (existsSync(SST2_DEV)) {
    return { sentences: readSst2(SST2_DEV).map((row) => row.sentence.trim()), source: SST2_DEV };
  }
  let seed = 42;
  const random = (): number => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
  const sentences = Array.from({ length: 872 }, (_, i) => {
    const words = Array.from(
      { length: 8 + Math.floor(random() * 33) },
      () => WORDS[Math.floor(random() * WORDS.length)] as string,
    );
    return `${words.join(' ')} ${i} .`; // the index keeps every sentence distinct
  });
  return { sentences, source: 'generated (no ../shared/data/sst2/dev.tsv)' };
}
