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

// Settings as a model directory's tokenizer files give them (docs/tokenizer.md), applied the way
// transformers builds a BertTokenizerFast: the normalizer takes lowercase / strip_accents (null follows
// lowercase) / handle_chinese_chars, WordPiece takes unk_token, the post-processor cls/sep, and the added
// vocabulary holds the listed added tokens (in order) and then the special tokens; a token in vocab.txt
// keeps its id, the others get the next ids past it.
const DEFAULT_SETTINGS = {
  lowercase: true, stripAccents: null, handleChineseChars: true,
  unk: '[UNK]', sep: '[SEP]', pad: '[PAD]', cls: '[CLS]', mask: '[MASK]',
  addedTokens: [], // [{content, special, normalized}]
};

function buildTokenizerJson(vocabFile, options = {}) {
  const settings = { ...DEFAULT_SETTINGS, ...options };
  const vocab = readVocab(vocabFile);
  const added = [];
  let nextId = Object.keys(vocab).length;
  const add = ({ content, special, normalized }) => {
    if (added.some((t) => t.content === content)) return;
    const id = content in vocab ? vocab[content] : nextId++;
    added.push({ id, content, single_word: false, lstrip: false, rstrip: false, normalized, special });
  };
  settings.addedTokens.forEach(add);
  for (const content of [settings.unk, settings.sep, settings.pad, settings.cls, settings.mask]) {
    if (content in vocab) add({ content, special: true, normalized: false });
  }
  const idOf = (content) => added.find((t) => t.content === content).id;
  const cls = { id: settings.cls, ids: [idOf(settings.cls)], tokens: [settings.cls] };
  const sep = { id: settings.sep, ids: [idOf(settings.sep)], tokens: [settings.sep] };
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: added,
    normalizer: {
      type: 'BertNormalizer', clean_text: true, handle_chinese_chars: settings.handleChineseChars,
      strip_accents: settings.stripAccents, lowercase: settings.lowercase,
    },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: settings.cls, type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: settings.sep, type_id: 0 } }],
      pair: [
        { SpecialToken: { id: settings.cls, type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: settings.sep, type_id: 0 } },
        { Sequence: { id: 'B', type_id: 1 } }, { SpecialToken: { id: settings.sep, type_id: 1 } },
      ],
      special_tokens: { [settings.cls]: cls, [settings.sep]: sep },
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: { type: 'WordPiece', unk_token: settings.unk, continuing_subword_prefix: '##', max_input_chars_per_word: 100, vocab },
  };
}

module.exports = { buildTokenizerJson, readVocab };

if (require.main === module) {
  const [vocabFile, output] = process.argv.slice(2);
  if (!vocabFile || !output) {
    console.error('usage: node tokenizer_json.js VOCAB_TXT OUTPUT_JSON');
    process.exit(2);
  }
  fs.writeFileSync(output, JSON.stringify(buildTokenizerJson(vocabFile)));
}
