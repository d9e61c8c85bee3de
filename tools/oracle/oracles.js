'use strict';
// The two reference tokenizers, built from one tokenizer.json:
//  - rust: Hugging Face `tokenizers` 0.22 (the Rust library Python's BertTokenizerFast runs), through the
//    Node bindings @anush008/tokenizers. Gives ids and code-point offsets.
//  - js: transformers.js's tokenizer (@huggingface/tokenizers, which @huggingface/transformers v4 uses for
//    all its tokenization), an independent JavaScript implementation. Gives ids only.
const fs = require('fs');
const path = require('path');
const rustLib = require('@anush008/tokenizers');
const jsLib = require('@huggingface/tokenizers');

// "name version" of an installed package (read directly: not every package exports package.json).
function packageLabel(name) {
  const file = path.join(__dirname, 'node_modules', name, 'package.json');
  return `${name} ${JSON.parse(fs.readFileSync(file, 'utf8')).version}`;
}

function loadOracles(tokenizerJsonPath) {
  const json = JSON.parse(fs.readFileSync(tokenizerJsonPath, 'utf8'));
  const rust = rustLib.Tokenizer.fromFile(tokenizerJsonPath);
  const js = new jsLib.Tokenizer(json, {});
  const n = json.normalizer;  // strip_accents null follows lowercase, as in the Rust BertNormalizer
  const rustNormalizer = rustLib.bertNormalizer({
    cleanText: n.clean_text, handleChineseChars: n.handle_chinese_chars,
    stripAccents: n.strip_accents === null ? n.lowercase : n.strip_accents, lowercase: n.lowercase,
  });
  const rustPreTokenizer = rustLib.bertPreTokenizer();

  return {
    // [{ids, offsets}] in input order.
    async rustEncode(texts, maxLength = 0) {
      if (maxLength) rust.setTruncation(maxLength);
      else rust.disableTruncation();
      const out = [];
      for (let i = 0; i < texts.length; i += 512) {
        const batch = await rust.encodeBatch(texts.slice(i, i + 512));
        for (const e of batch) out.push({ ids: e.getIds(), offsets: e.getOffsets() });
      }
      return out;
    },
    jsEncode: (text) => js.encode(text).ids,
    rustNormalize: (text) => rustNormalizer.normalizeString(text),
    jsNormalize: (text) => js.normalizer(text),
    rustPreTokenize: (text) => rustPreTokenizer.preTokenizeString(text).map(([word]) => word),
    jsPreTokenize: (text) => js.pre_tokenizer(text),
    versions: { rust: packageLabel('@anush008/tokenizers'), js: packageLabel('@huggingface/tokenizers') },
  };
}

module.exports = { loadOracles, packageLabel };
