/** The special tokens every BERT-style WordPiece vocabulary starts with, in bert-base order. */
const SPECIALS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'];

// Enough real words that a generated tiny model tokenises test sentences into words rather
// than all [UNK]s or single letters.
const WORDS = (
  'the a an and or but not no is was are be it this that of to in on for with as at by ' +
  'i you he she we they my your good great bad awful love hate movie film story fun boring ' +
  'best worst very really so too charming dull funny sad happy'
).split(' ');

/**
 * A WordPiece vocabulary of exactly `size` tokens: specials, single characters (so any
 * lower-case ASCII text tokenises without [UNK]), their `##` continuations, common words,
 * then filler tokens. Line i of vocab.txt is token id i.
 */
export function syntheticVocab(size: number): string[] {
  const chars = [...'abcdefghijklmnopqrstuvwxyz0123456789.,!?\'"-'];
  const tokens = [...SPECIALS, ...chars, ...chars.map((c) => `##${c}`), ...WORDS];
  if (size < tokens.length) {
    throw new RangeError(
      `a synthetic vocabulary needs at least ${tokens.length} tokens, asked for ${size}`,
    );
  }
  for (let i = 0; tokens.length < size; i++) tokens.push(`[unused${i}]`);
  return tokens;
}

/**
 * A Hugging Face `tokenizer.json` for `vocab`, configured as bert-base-uncased's is
 * (BertNormalizer lower-casing, BertPreTokenizer, WordPiece `##`, `[CLS] $A [SEP]`).
 */
export function tokenizerJson(vocab: readonly string[]): object {
  const id = (token: string) => vocab.indexOf(token);
  const special = (content: string) => ({
    id: id(content),
    content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special: true,
  });
  const piece = (token: string) => ({ SpecialToken: { id: token, type_id: 0 } });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: SPECIALS.map(special).sort((a, b) => a.id - b.id),
    normalizer: {
      type: 'BertNormalizer',
      clean_text: true,
      handle_chinese_chars: true,
      strip_accents: null,
      lowercase: true,
    },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [piece('[CLS]'), { Sequence: { id: 'A', type_id: 0 } }, piece('[SEP]')],
      pair: [
        piece('[CLS]'),
        { Sequence: { id: 'A', type_id: 0 } },
        piece('[SEP]'),
        { Sequence: { id: 'B', type_id: 1 } },
        { SpecialToken: { id: '[SEP]', type_id: 1 } },
      ],
      special_tokens: Object.fromEntries(
        ['[CLS]', '[SEP]'].map((t) => [t, { id: t, ids: [id(t)], tokens: [t] }]),
      ),
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: {
      type: 'WordPiece',
      unk_token: '[UNK]',
      continuing_subword_prefix: '##',
      max_input_chars_per_word: 100,
      vocab: Object.fromEntries(vocab.map((token, i) => [token, i])),
    },
  };
}
