'use strict';
// Tokenizer settings parity: for each setting a model directory's tokenizer files can carry
// (tokenizer_config.json, special_tokens_map.json, added_tokens.json), a model directory with those files
// for `uninlu tokenize --model DIR`, and the tokenizer.json with the same settings for the reference
// tokenizers; then uninlu's ids and offsets against the Rust library and its ids against transformers.js.
// Usage:
//   node settings_parity.js prepare VOCAB_TXT INPUTS_JSONL OUT_DIR   writes OUT_DIR/<variant>/ and prints the names
//   node settings_parity.js compare OUT_DIR VARIANT                  reads OUT_DIR/VARIANT/ours.jsonl
// OUT_DIR/<variant>/ holds model/ (vocab.txt and the tokenizer files), tokenizer.json and inputs.jsonl (the
// parity inputs plus strings that contain the variant's added and special tokens).
const fs = require('fs');
const path = require('path');
const { buildTokenizerJson, readVocab } = require('./tokenizer_json');
const { loadOracles } = require('./oracles');

const RENAMED = { '[UNK]': '<unk>', '[CLS]': '<s>', '[SEP]': '</s>', '[PAD]': '<pad>' };

// name -> {files: {file name: JSON}, settings: buildTokenizerJson options, renameVocab: bool}
const VARIANTS = {
  cased: { files: { 'tokenizer_config.json': { do_lower_case: false } }, settings: { lowercase: false } },
  cased_strip_accents: {
    files: { 'tokenizer_config.json': { do_lower_case: false, strip_accents: true } },
    settings: { lowercase: false, stripAccents: true },
  },
  lowercase_keep_accents: {
    files: { 'tokenizer_config.json': { do_lower_case: true, strip_accents: false, tokenizer_class: 'BertTokenizerFast' } },
    settings: { lowercase: true, stripAccents: false },
  },
  no_chinese_chars: {
    files: { 'tokenizer_config.json': { tokenize_chinese_chars: false, model_max_length: 512 } },
    settings: { handleChineseChars: false },
  },
  added_tokens: {
    // added_tokens.json tokens are normalized (matched after lowercasing / accent stripping) unless a
    // file names them special; additional special tokens are matched in the raw text.
    files: {
      'tokenizer_config.json': { tokenizer_class: 'BertTokenizer', additional_special_tokens: ['<sp>', '[unused1]'] },
      'added_tokens.json': { '<new>': 21128, 'HeLLo世界': 21129, 'Café': 21130 },
    },
    settings: {
      addedTokens: [
        { content: '<new>', special: false, normalized: true },
        { content: 'HeLLo世界', special: false, normalized: true },
        { content: 'Café', special: false, normalized: true },
        { content: '<sp>', special: true, normalized: false },
        { content: '[unused1]', special: true, normalized: false },
      ],
    },
    extras: ['<new>', '<NEW>', 'hello世界', 'HELLO 世界', 'cafe', 'CAFÉ', 'Cafe\u0301', '<sp>', '<SP>', '[unused1]', '[UNUSED1]'],
  },
  renamed_special_tokens: {
    files: { 'special_tokens_map.json': { unk_token: '<unk>', cls_token: '<s>', sep_token: '</s>', pad_token: '<pad>' } },
    settings: { unk: '<unk>', cls: '<s>', sep: '</s>', pad: '<pad>' },
    renameVocab: true,
    extras: ['<unk>', '<s>', '</s>', '<pad>', '[UNK]', '[CLS]', '[SEP]', '[MASK]', '<S>'],
  },
};

const readJsonl = (file) => fs.readFileSync(file, 'utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l));
const writeJsonl = (file, items) => fs.writeFileSync(file, items.map((x) => JSON.stringify(x)).join('\n') + '\n');
const sameArray = (a, b) => a.length === b.length && a.every((x, i) => (Array.isArray(x) ? sameArray(x, b[i]) : x === b[i]));

// Texts with each extra string inserted into parity inputs at a position derived from the index, and
// a few written out by hand around the interesting boundaries.
function withExtras(inputs, extras) {
  const texts = ['Ab\u00c9 \u00e9t\u00e9 Stra\u00dfe \u0130stanbul', '\u4e2d\u6587English\u6df7\u5408 caf\u00e9'];
  for (const extra of extras) {
    texts.push(extra, `a${extra}b`, `${extra}${extra}`, ` ${extra} `, `\u4e2d${extra}\u6587`, `${extra.slice(0, -1)}`);
  }
  const base = inputs.filter((t) => t.length < 200).slice(0, 400);
  base.forEach((text, i) => {
    if (!extras.length) return;
    const chars = Array.from(text);
    const at = (i * 7919) % (chars.length + 1);
    texts.push([...chars.slice(0, at), extras[i % extras.length], ...chars.slice(at)].join(''));
  });
  return texts;
}

function prepare(vocabFile, inputsFile, outDir) {
  const inputs = readJsonl(inputsFile);
  for (const [name, variant] of Object.entries(VARIANTS)) {
    const dir = path.join(outDir, name);
    const modelDir = path.join(dir, 'model');
    fs.mkdirSync(modelDir, { recursive: true });
    let vocabLines = fs.readFileSync(vocabFile, 'utf8');
    if (variant.renameVocab) {
      vocabLines = vocabLines.split('\n').map((t) => RENAMED[t] ?? t).join('\n');
    }
    fs.writeFileSync(path.join(modelDir, 'vocab.txt'), vocabLines);
    for (const [file, json] of Object.entries(variant.files)) fs.writeFileSync(path.join(modelDir, file), JSON.stringify(json, null, 2));
    fs.writeFileSync(path.join(dir, 'tokenizer.json'), JSON.stringify(buildTokenizerJson(path.join(modelDir, 'vocab.txt'), variant.settings)));
    writeJsonl(path.join(dir, 'inputs.jsonl'), [...inputs, ...withExtras(inputs, variant.extras || [])]);
    console.log(name);
  }
}

async function compare(outDir, name) {
  const dir = path.join(outDir, name);
  const inputs = readJsonl(path.join(dir, 'inputs.jsonl'));
  const ours = readJsonl(path.join(dir, 'ours.jsonl'));
  if (ours.length !== inputs.length) throw new Error(`${name}: ${inputs.length} inputs but ${ours.length} output lines`);
  const oracles = loadOracles(path.join(dir, 'tokenizer.json'));
  const vocab = [];
  for (const [token, id] of Object.entries(readVocab(path.join(dir, 'model', 'vocab.txt')))) vocab[id] = token;
  const rust = await oracles.rustEncode(inputs);
  // transformers.js looks every whole section of normalized text up among *all* added tokens, so a
  // normalized:false token such as "<s>" also matches "<S>" after lowercasing; the Rust library (and
  // Python) matches those in the raw text only. Such inputs are judged against the Rust library alone.
  const rawTokens = JSON.parse(fs.readFileSync(path.join(dir, 'tokenizer.json'), 'utf8')).added_tokens
    .filter((t) => !t.normalized).map((t) => t.content);
  const jsMatchesNormalizedSpecial = (text) => {
    const normalized = oracles.rustNormalize(text);
    return rawTokens.some((c) => normalized.includes(c) && !text.includes(c));
  };
  let jsSpecialDeviation = 0;
  const show = (ids, offsets) => ids.map((id, k) => `${vocab[id] ?? id}${offsets ? `(${offsets[k]})` : ''}`).join(' ');
  let rustMatches = 0, jsChecked = 0, jsMatches = 0, jsSkipped = 0;
  const failures = [];
  for (let i = 0; i < inputs.length; ++i) {
    if (sameArray(ours[i].ids, rust[i].ids) && sameArray(ours[i].offsets, rust[i].offsets)) {
      rustMatches += 1;
    } else if (failures.length < 5) {
      failures.push(`  ${JSON.stringify(inputs[i]).slice(0, 200)}\n    uninlu: ${show(ours[i].ids, ours[i].offsets)}\n    rust  : ${show(rust[i].ids, rust[i].offsets)}`);
    }
    // transformers.js: only where its normalizer and pre-tokenizer agree with the Rust library's (the
    // known deviations of compare_parity.js are Unicode-table differences, not settings).
    if (jsMatchesNormalizedSpecial(inputs[i])) {
      jsSpecialDeviation += 1;
      continue;
    }
    let jsIds = null;
    try {
      if (oracles.rustNormalize(inputs[i]) === oracles.jsNormalize(inputs[i])) jsIds = oracles.jsEncode(inputs[i]);
    } catch (e) { /* transformers.js throws on some inputs: skipped */ }
    if (!jsIds || !sameArray(oracles.rustPreTokenize(oracles.rustNormalize(inputs[i])), oracles.jsPreTokenize(oracles.jsNormalize(inputs[i])))) {
      jsSkipped += 1;
      continue;
    }
    jsChecked += 1;
    if (sameArray(jsIds, ours[i].ids)) jsMatches += 1;
    else if (failures.length < 5) failures.push(`  ${JSON.stringify(inputs[i]).slice(0, 200)}\n    uninlu: ${show(ours[i].ids)}\n    js    : ${show(jsIds)}`);
  }
  const ok = rustMatches === inputs.length && jsMatches === jsChecked;
  console.log(`${name.padEnd(24)} ids+offsets == Rust: ${rustMatches}/${inputs.length}; ids == transformers.js: ${jsMatches}/${jsChecked} (skipped: ${jsSkipped} where the normalizer tables differ, ${jsSpecialDeviation} where normalized text spells a raw-matched token)${ok ? '' : '  FAIL'}`);
  for (const f of failures) console.log(f);
  return ok ? 0 : 1;
}

const [mode, ...args] = process.argv.slice(2);
if (mode === 'prepare' && args.length === 3) {
  prepare(...args);
} else if (mode === 'compare' && args.length === 2) {
  compare(...args).then((code) => process.exit(code), (err) => { console.error(err); process.exit(2); });
} else {
  console.error('usage: node settings_parity.js prepare VOCAB_TXT INPUTS_JSONL OUT_DIR | compare OUT_DIR VARIANT');
  process.exit(2);
}
