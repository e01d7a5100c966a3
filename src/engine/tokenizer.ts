import { readFileSync } from 'node:fs';
import { Tokenizer } from '@huggingface/tokenizers';
import { ModelLoadError } from '../errors.js';
import { readJson, type ModelFiles } from '../model/model-files.js';
import { wordPieceTokenizerJson, type TokenizerConfig } from '../model/wordpiece.js';
import {
  cutRules,
  lastSafeCut,
  skipLongWord,
  shortenLongWords,
  type CutRules,
  type TokenizerJson,
} from './prefix-cut.js';
import { asciiBertIds, type AsciiIds } from './ascii-bert.js';
import { rememberWordPieces } from './word-piece-cache.js';

/**
 * BERT WordPiece tokenization, identical to Hugging Face's (checked against its reference
 * vectors in test/engine/tokenizer.test.ts). Uses the pure-TypeScript @huggingface/tokenizers:
 * synchronous, and cheaper per call than the Rust binding's async API (`npm run
 * bench:tokenizer`, docs/benchmarks.md).
 */
export class ModelTokenizer {
  private readonly clsId: number;
  private readonly sepId: number;
  /** Id of the unknown token (`[UNK]`); undefined when the vocabulary has none. */
  readonly unknownId: number | undefined;

  private constructor(
    private readonly tokenizer: Tokenizer,
    /** Longest sequence the model takes, [CLS] and [SEP] included. */
    readonly maxLength: number,
    /** Where a long text may be cut before tokenizing; undefined: never, tokenize it whole. */
    private readonly cuts: CutRules | undefined,
    /** The ids of a printable-ASCII text without the library's pipeline (ascii-bert.ts). */
    private readonly asciiIds: AsciiIds | undefined,
  ) {
    this.clsId = this.specialId('[CLS]');
    this.sepId = this.specialId('[SEP]');
    this.unknownId = tokenizer.token_to_id('[UNK]');
    // Truncation below assumes the single-sequence template is `[CLS] $A [SEP]`; check it once.
    const probe = tokenizer.encode('a', { add_special_tokens: true }).ids;
    if (probe[0] !== this.clsId || probe.at(-1) !== this.sepId) {
      throw new ModelLoadError(
        'tokenizer does not wrap a text as [CLS] … [SEP]; only BERT-style tokenizers are supported',
      );
    }
  }

  /** Loads `tokenizer.json`, or builds the equivalent tokenizer from `vocab.txt`. */
  static fromModelFiles(files: ModelFiles, maxPositions: number): ModelTokenizer {
    const config = files.tokenizerConfigPath
      ? (readJson(files.tokenizerConfigPath) as TokenizerConfig)
      : {};
    const json = files.tokenizerJsonPath
      ? readJson(files.tokenizerJsonPath)
      : wordPieceTokenizerJson(readFileSync(files.vocabPath as string, 'utf8'), config);
    let tokenizer: Tokenizer;
    try {
      tokenizer = new Tokenizer(json as object, config);
    } catch (error) {
      throw new ModelLoadError(
        `cannot build the tokenizer of ${files.dir}: ${(error as Error).message}`,
        { cause: error },
      );
    }
    const cuts = cutRules(json as TokenizerJson, config);
    // Before rememberWordPieces: ASCII words are remembered by asciiBertIds alone.
    const asciiIds = asciiBertIds(tokenizer, cuts);
    rememberWordPieces(tokenizer);
    const configured =
      typeof config.model_max_length === 'number' ? config.model_max_length : Infinity;
    return new ModelTokenizer(tokenizer, Math.min(maxPositions, configured), cuts, asciiIds);
  }

  /**
   * Token ids of `text` wrapped in [CLS] … [SEP]. A text longer than the model takes is cut
   * to `maxLength` with the final [SEP] kept, as transformers' `truncation=True` does.
   */
  encode(text: string): number[] {
    const room = this.maxLength - 2;
    const ids = this.leadingIds(text, room);
    const body = ids.length > room ? ids.slice(0, room) : ids;
    return [this.clsId, ...body, this.sepId];
  }

  /**
   * `encode`'s ids, and what the monitor measures on the way (src/monitoring/descriptors.ts):
   * `wordpieces`, the text's word-pieces before truncation counted up to `maxLength` (the
   * prefix cut reads that far and no further, so a 4 MB text still costs a few kilobytes),
   * and `truncated`, whether the text had more word-pieces than the model reads.
   */
  encodeMeasured(text: string): MeasuredEncoding {
    const room = this.maxLength - 2;
    // maxLength ids, not room: enough to tell a text that just fits from one that does not,
    // and to count up to maxLength.
    const ids = this.leadingIds(text, this.maxLength);
    const truncated = ids.length > room;
    const body = truncated ? ids.slice(0, room) : ids;
    return {
      ids: [this.clsId, ...body, this.sepId],
      wordpieces: Math.min(ids.length, this.maxLength),
      truncated,
    };
  }

  /**
   * The ids of `text`, or of a prefix of it whose ids are the text's first ones, at least
   * `room` of them: the model reads no further, so a 4 MB text costs what its first few
   * kilobytes do. Tries a window of characters cut back to the last safe cut (`lastSafeCut`),
   * doubling it while its prefix holds fewer than `room` ids and text remains; tokenizes the
   * whole text when no cut is provably safe for this tokenizer.
   */
  private leadingIds(whole: string, room: number): number[] {
    let text = whole;
    let window = room * FIRST_WINDOW_CHARS_PER_ID;
    let tried = 0;
    while (this.cuts && window < text.length) {
      const cut = lastSafeCut(text, window, this.cuts);
      if (cut > tried) {
        const ids = this.ids(shortenLongWords(text.slice(0, cut), this.cuts));
        if (ids.length >= room) return ids;
        tried = cut;
        text = skipLongWord(text, cut, this.cuts);
      }
      window *= 2;
    }
    return this.ids(this.cuts ? shortenLongWords(text, this.cuts) : text);
  }

  private ids(text: string): number[] {
    return this.asciiIds?.(text) ?? this.tokenizer.encode(text, { add_special_tokens: false }).ids;
  }

  /**
   * Encodes many texts, giving the event loop a turn every millisecond or so: a request of
   * many long texts must not freeze every other request while it is tokenized.
   */
  async encodeAll(texts: readonly string[]): Promise<number[][]> {
    const sequences: number[][] = [];
    let sliceStart = performance.now();
    for (const text of texts) {
      sequences.push(this.encode(text));
      if (performance.now() - sliceStart > YIELD_AFTER_MS) {
        await new Promise((resolve) => setImmediate(resolve));
        sliceStart = performance.now();
      }
    }
    return sequences;
  }

  /** `encodeMeasured` for many texts, yielding to the event loop as `encodeAll` does. */
  async encodeAllMeasured(texts: readonly string[]): Promise<MeasuredEncoding[]> {
    const encodings: MeasuredEncoding[] = [];
    let sliceStart = performance.now();
    for (const text of texts) {
      encodings.push(this.encodeMeasured(text));
      if (performance.now() - sliceStart > YIELD_AFTER_MS) {
        await new Promise((resolve) => setImmediate(resolve));
        sliceStart = performance.now();
      }
    }
    return encodings;
  }

  private specialId(token: string): number {
    const id = this.tokenizer.token_to_id(token);
    if (id === undefined) throw new ModelLoadError(`tokenizer has no ${token} token`);
    return id;
  }
}

/** A text's ids (as `encode` gives them) and what the monitor measures while tokenizing. */
export interface MeasuredEncoding {
  readonly ids: number[];
  /** Word-pieces before truncation ([CLS] and [SEP] not counted), at most `maxLength`. */
  readonly wordpieces: number;
  /** The text had more word-pieces than the model reads (`maxLength` - 2). */
  readonly truncated: boolean;
}

/** Longest stretch of tokenization between two turns of the event loop. */
const YIELD_AFTER_MS = 1;

/**
 * Size of the first prefix tried, in characters per id the model reads: prose runs well under
 * this many characters a word-piece, so one try usually suffices (docs/benchmarks.md).
 */
export const FIRST_WINDOW_CHARS_PER_ID = 8;
