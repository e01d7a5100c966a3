import { ModelLoadError } from '../errors.js';

/** The fields of `tokenizer_config.json` that shape a BERT tokenizer. */
export interface TokenizerConfig {
  do_lower_case?: boolean;
  strip_accents?: boolean | null;
  tokenize_chinese_chars?: boolean;
  model_max_length?: number;
  [key: string]: unknown;
}

export const SPECIAL_TOKENS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'];

/**
 * The `tokenizer.json` that transformers' `BertTokenizerFast` would save for this vocabulary
 * and config: BertNormalizer, BertPreTokenizer, WordPiece with `##`, `[CLS] $A [SEP]`.
 */
export function wordPieceTokenizerJson(vocabText: string, config: TokenizerConfig): object {
  const vocab: Record<string, number> = {};
  vocabText.split(/\r?\n/).forEach((token, id) => {
    if (token !== '' && !(token in vocab)) vocab[token] = id;
  });
  for (const token of ['[UNK]', '[CLS]', '[SEP]']) {
    if (!(token in vocab)) throw new ModelLoadError(`vocab.txt has no ${token} token`);
  }
  const idOf = (token: string): number => vocab[token] as number;
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: SPECIAL_TOKENS.filter((t) => t in vocab).map((content) => ({
      id: idOf(content),
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    normalizer: {
      type: 'BertNormalizer',
      clean_text: true,
      handle_chinese_chars: config.tokenize_chinese_chars ?? true,
      strip_accents: config.strip_accents ?? null,
      lowercase: config.do_lower_case ?? true,
    },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'BertProcessing',
      sep: ['[SEP]', idOf('[SEP]')],
      cls: ['[CLS]', idOf('[CLS]')],
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: {
      type: 'WordPiece',
      unk_token: '[UNK]',
      continuing_subword_prefix: '##',
      max_input_chars_per_word: 100,
      vocab,
    },
  };
}
