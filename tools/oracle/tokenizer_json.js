'use strict';
// Builds the tokenizer.json that transformers' BertTokenizerFast gets when it converts a plain vocab.txt
// (BertConverter + the special tokens PreTrainedTokenizerFast registers): BertNormalizer (clean_text,
// handle_chinese_chars, strip_accents null = follow lowercase, lowercase), BertPreTokenizer, WordPiece
// ([UNK], "##", max_input_chars_per_word 100), [CLS] $A [SEP], and [PAD] [UNK] [CLS] [SEP] [MASK] as
// special added tokens with normalized=false (matched in the raw text).
// Usage as a script: node tokenizer_json.js VOCAB_TXT OUTPUT_JSON
const fs = require('fs');

function readVocab(file) {
  // Split on '\n' only: two bert-base-chinese entries contain U+2028.
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const vocab = {};
  lines.forEach((token, id) => {
    if (Object.prototype.hasOwnProperty.call(vocab, token)) throw new Error(`${file}: duplicate token ${JSON.stringify(token)}`);
    vocab[token] = id;
  });
  return vocab;
}

function buildTokenizerJson(vocabFile) {
  const vocab = readVocab(vocabFile);
  const special = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'].filter((t) => t in vocab);
  const cls = { id: '[CLS]', ids: [vocab['[CLS]']], tokens: ['[CLS]'] };
  const sep = { id: '[SEP]', ids: [vocab['[SEP]']], tokens: ['[SEP]'] };
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: special.map((content) => ({
      id: vocab[content], content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true,
    })),
    normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: '[CLS]', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '[SEP]', type_id: 0 } }],
      pair: [
        { SpecialToken: { id: '[CLS]', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '[SEP]', type_id: 0 } },
        { Sequence: { id: 'B', type_id: 1 } }, { SpecialToken: { id: '[SEP]', type_id: 1 } },
      ],
      special_tokens: { '[CLS]': cls, '[SEP]': sep },
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: { type: 'WordPiece', unk_token: '[UNK]', continuing_subword_prefix: '##', max_input_chars_per_word: 100, vocab },
  };
}

module.exports = { buildTokenizerJson };

if (require.main === module) {
  const [vocabFile, output] = process.argv.slice(2);
  if (!vocabFile || !output) {
    console.error('usage: node tokenizer_json.js VOCAB_TXT OUTPUT_JSON');
    process.exit(2);
  }
  fs.writeFileSync(output, JSON.stringify(buildTokenizerJson(vocabFile)));
}
