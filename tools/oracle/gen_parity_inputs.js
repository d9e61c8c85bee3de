'use strict';
// Writes the tokenizer parity inputs: OUT_DIR/inputs.jsonl (one JSON string per line, the form
// `uninlu tokenize --jsonl` reads) and OUT_DIR/categories.json (the category of each line).
// Usage: node gen_parity_inputs.js REPO_DIR OUT_DIR [SEED]
// Everything is derived from the seed and the repository's data, so a run is reproducible.
const fs = require('fs');
const path = require('path');
const rust = require('@anush008/tokenizers');
const js = require('@huggingface/tokenizers');

// mulberry32: a small seeded PRNG (Math.random cannot be seeded).
function makeRandom(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)); // inclusive
  const pick = (items) => items[int(0, items.length - 1)];
  const chars = (s) => Array.from(s);
  return { next, int, pick, chars };
}

const range = (first, last) => Array.from({ length: last - first + 1 }, (_, i) => String.fromCodePoint(first + i));
const isSurrogate = (cp) => cp >= 0xd800 && cp <= 0xdfff;

function clueTexts(repo) {
  const read = (name) => fs.readFileSync(path.join(repo, 'data/cluener', name), 'utf8')
    .split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l).text);
  const train = read('train.json').filter((_, i) => i % 10 === 0);
  return [...read('dev.json'), ...read('test.json'), ...train];
}

// Pools of characters the generators draw from.
function makePools(cluener) {
  const cjk = [...new Set(cluener.join('').split('').filter((c) => /\p{Script=Han}/u.test(c)))].sort();
  return {
    cjk,
    latinLower: range(0x61, 0x7a),
    latinUpper: range(0x41, 0x5a),
    digits: range(0x30, 0x39),
    precomposed: [...range(0xc0, 0xff), ...range(0x100, 0x17f), ...range(0x1ea0, 0x1ef9), 'ǅ', 'ǈ', 'Ǳ', 'İ', 'ı', 'ß', 'ẞ', 'ﬁ', 'ﬀ', 'Å', 'Ω', 'K']
      .filter((c) => c !== '×' && c !== '÷'),
    marks: [...range(0x300, 0x36f), '\u0483', '\u0591', '\u05b0', '\u064b', '\u0670', '\u093c', '\u094d', '\u0e31', '\u0e48',
      '\u1ab0', '\u1dc0', '\u20d0', '\u20e3', '\ufe20', '\u302a', '\u3099', '\u309a', '\u0334', '\u0327', '\u0345'],
    // Combining characters that are not Mn (kept by strip_accents) yet reordered by NFD, and characters
    // whose decomposition starts with a non-starter: the corner cases of the alignment rules.
    oddCombining: ['\u302e', '\u302f', '\u{1d165}', '\u{1d166}', '\u{1d16d}', '\u{1d16e}', '\u{16ff0}', '\u0f73', '\u0f75', '\u0f81', '\u0344', '\u0340', '\u0341', '\u0958', '\u1fee', '\u1fef', '\u037e', '\u0387', '\u2329'],
    fullwidth: [...range(0xff01, 0xff5e), ...range(0xff61, 0xff9f), '\u3000', '\u3001', '\u3002', '\u300c', '\u300d', '\u300e', '\u300f', '\u3010', '\u3011', '\uffe5', '\uffe0'],
    emoji: ['😀', '😎', '🥰', '🫠', '👍', '👍🏽', '👨‍👩‍👧‍👦', '👩🏾‍💻', '🏳️‍🌈', '🇨🇳', '🇺🇸', '1️⃣', '#️⃣', '❤️', '☺', '✌🏻', '🧑‍🤝‍🧑', '🤖', '🐉', '🍜', '\u{1f3fb}', '\u200d', '\ufe0f'],
    invisible: ['\u0000', '\u0001', '\u0007', '\u0008', '\u000b', '\u000c', '\u001b', '\u001f', '\u007f', '\u0080', '\u0085', '\u009f',
      '\u00ad', '\u061c', '\u180e', '\u200b', '\u200c', '\u200d', '\u200e', '\u200f', '\u202a', '\u202e', '\u2060', '\u2061', '\u2064',
      '\u2066', '\u2069', '\ufeff', '\ufff9', '\ufffb', '\ufffd', '\ufffe', '\uffff', '\ue000', '\uf8ff', '\u{f0000}', '\u{10fffd}',
      '\u{e0001}', '\u{e0041}', '\u{1d173}', '\u0378', '\u0870', '\u{1ffff}', '\u08e2', '\u0890', '\u{13430}', '\u{110cd}'],
    whitespace: [' ', '\t', '\n', '\r', '\u000b', '\u000c', '\u0085', '\u00a0', '\u1680', ...range(0x2000, 0x200a), '\u2028', '\u2029', '\u202f', '\u205f', '\u3000', '\u001c', '\u001f'],
    punctuation: [...'!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~', '，', '。', '、', '；', '：', '？', '！', '…', '—', '–', '‘', '’', '“', '”', '《', '》', '（', '）', '【', '】', '「', '」', '『', '』', '·', '¡', '¿', '§', '¶', '※', '〜', '﹏', '\u2e43', '\u2e4f', '\u2e52', '\u166d', '\u061d'],
    symbols: ['￥', '×', '÷', '°', '±', '©', '®', '™', '€', '£', '¥', '$', '%', '‰', '℃', '№', '←', '→', '↑', '∞', '≈', '≠', '≤', '√', '∑', '★', '☆', '♪', '①', '②', 'Ⅳ', '㎡', '㈱'],
    extB: [...range(0x20000, 0x20010), '\u{2a6d6}', '\u{2a700}', '\u{2b740}', '\u{2b820}', '\u{2b920}', '\u{2ceaf}', '\u{2ceb0}', '\u{2ebe0}',
      '\u{30000}', '\u{31350}', '\u{323af}', '\uf900', '\uf92c', '\ufa0e', '\ufaff', '\u{2f800}', '\u{2fa1d}', '\u{2fa1f}', '\u3400', '\u4dbf', '\u9fff', '\u9fa5', '\u2e80', '\u2f00', '\u3007', '\u31ef'],
    kana: [...range(0x3041, 0x3096), ...range(0x30a1, 0x30fa), 'ー', 'ゝ', 'ゞ', 'ヽ', 'ヾ', 'ㇰ'],
    hangul: [...range(0xac00, 0xac20), '한', '국', '어', '안', '녕', '하', '세', '요', ...range(0x1100, 0x1112), ...range(0x1161, 0x1175), ...range(0x3131, 0x3163)],
    greek: [...range(0x391, 0x3a9).filter((c) => c !== '\u03a2'), ...range(0x3b1, 0x3c9), 'ς', 'ά', 'Ά', 'ΐ', 'ϐ', 'ϑ', 'ϕ', 'Ϊ'],
    cyrillic: [...range(0x410, 0x44f), 'Ё', 'ё', 'Ї', 'Ґ'],
    special: ['[CLS]', '[SEP]', '[PAD]', '[UNK]', '[MASK]', '[cls]', '[Sep]', '[unused1]', '[unused99]', '[CLS', 'SEP]', '[[SEP]]', '[MASK][MASK]', '[ MASK ]'],
  };
}

function makeGenerators(R, P, cluener) {
  const word = (pool, lo, hi) => Array.from({ length: R.int(lo, hi) }, () => R.pick(pool)).join('');
  const latinWord = () => word(R.next() < 0.3 ? [...P.latinLower, ...P.latinUpper] : P.latinLower, 1, 12);
  const cjkRun = () => word(P.cjk, 1, 8);
  const join = (parts, seps = [' ', '', '', '，']) => parts.map((p, i) => (i ? R.pick(seps) : '') + p).join('');
  const decompose = (s) => s.normalize('NFD');
  const withMarks = () => {
    let s = '';
    for (let i = R.int(1, 6); i > 0; --i) s += R.pick(P.latinLower) + word(P.marks, 0, 3);
    return s;
  };
  const sprinkle = (base, pool, n) => {
    const cs = R.chars(base);
    for (let i = 0; i < n; ++i) cs.splice(R.int(0, cs.length), 0, R.pick(pool));
    return cs.join('');
  };
  const clue = () => R.pick(cluener);

  return {
    mixed_latin_cjk: () => join(Array.from({ length: R.int(2, 8) }, () => (R.next() < 0.5 ? cjkRun() : latinWord()))),
    accents_precomposed: () => join(Array.from({ length: R.int(1, 6) }, () => word([...P.precomposed, ...P.latinLower], 1, 10)), [' ', '', '-']),
    accents_decomposed: () => {
      const r = R.next();
      if (r < 0.3) return decompose(join(Array.from({ length: R.int(1, 5) }, () => word(P.precomposed, 1, 8))));
      if (r < 0.6) return join(Array.from({ length: R.int(1, 4) }, withMarks));
      if (r < 0.8) return word(P.marks, 1, 4) + join([withMarks(), cjkRun(), word(P.marks, 1, 3), R.pick(P.punctuation) + word(P.marks, 1, 2)]);
      return join([cjkRun(), word([...P.oddCombining, ...P.marks, ...P.latinLower], 1, 8), word(P.oddCombining, 1, 4), latinWord()], [' ', '']);
    },
    fullwidth: () => join(Array.from({ length: R.int(1, 6) }, () => (R.next() < 0.6 ? word(P.fullwidth, 1, 8) : cjkRun())), [' ', '', '\u3000']),
    emoji: () => join(Array.from({ length: R.int(1, 6) }, () => (R.next() < 0.5 ? word(P.emoji, 1, 4) : R.next() < 0.5 ? cjkRun() : latinWord())), [' ', '']),
    control_zero_width: () => sprinkle(R.next() < 0.5 ? clue() : join([latinWord(), cjkRun(), latinWord()]), P.invisible, R.int(1, 8)),
    whitespace: () => {
      const r = R.next();
      if (r < 0.2) return word(P.whitespace, 1, 6);
      return join(Array.from({ length: R.int(2, 6) }, () => (R.next() < 0.5 ? cjkRun() : latinWord())), P.whitespace.map((w) => w + (R.next() < 0.3 ? R.pick(P.whitespace) : '')));
    },
    long_words: () => {
      const n = R.pick([98, 99, 100, 100, 101, 101, 102, 120, 200, 400]);
      const r = R.next();
      let w;
      if (r < 0.3) w = 'a'.repeat(n);
      else if (r < 0.5) w = word(P.latinLower, n, n);
      else if (r < 0.65) w = '1234567890'.repeat(Math.ceil(n / 10)).slice(0, n);
      else if (r < 0.8) w = Array.from({ length: n }, () => R.pick(P.latinLower) + (R.next() < 0.5 ? R.pick(['\u0301', '\u0308']) : '')).join(''); // normalized length n
      else w = sprinkle('b'.repeat(n), ['\u200b', '\u0000', '\u00ad'], R.int(1, 5)); // removed characters do not count
      return R.next() < 0.5 ? w : join([cjkRun(), w, latinWord()], [' ', '，']);
    },
    numbers: () => join(Array.from({ length: R.int(1, 6) }, () => R.pick([
      () => String(R.int(0, 1e9)), () => `${R.int(0, 999)}.${R.int(0, 99999)}`, () => `${R.int(1, 99)}%`, () => `${R.int(1900, 2099)}-${R.int(1, 12)}-${R.int(1, 28)}`,
      () => `${R.int(1, 9)},${String(R.int(0, 999)).padStart(3, '0')},${String(R.int(0, 999)).padStart(3, '0')}`, () => word(range(0xff10, 0xff19), 1, 6),
      () => `${R.int(1, 99)}.${R.int(0, 9)}亿`, () => `+86-${R.int(100, 199)}-${R.int(1000, 9999)}-${R.int(1000, 9999)}`, () => word([...P.digits, ...P.cjk.slice(0, 50)], 2, 10),
    ])()), [' ', '', '，', '、']),
    punctuation_runs: () => join(Array.from({ length: R.int(1, 6) }, () => (R.next() < 0.5 ? word(P.punctuation, 1, 6) : R.next() < 0.5 ? word(P.symbols, 1, 3) : cjkRun())), [' ', '']),
    empty_and_blank: () => R.pick(['', ' ', '  ', '\t', '\n', '\r\n', '\u3000', '\u00a0\u2028', '\u200b', '\u0000', '\ufeff', '\u0301', '\ufffd', word(P.whitespace, 1, 10), word(P.invisible, 1, 5)]),
    cjk_extensions: () => join(Array.from({ length: R.int(1, 6) }, () => (R.next() < 0.5 ? word(P.extB, 1, 4) : R.next() < 0.5 ? cjkRun() : latinWord())), [' ', '']),
    kana_hangul: () => join(Array.from({ length: R.int(1, 6) }, () => (R.next() < 0.4 ? word(P.kana, 1, 6) : R.next() < 0.6 ? word(P.hangul, 1, 5) : cjkRun())), [' ', '', '、']),
    special_tokens: () => join(Array.from({ length: R.int(1, 5) }, () => (R.next() < 0.5 ? R.pick(P.special) : R.next() < 0.5 ? cjkRun() : latinWord())), [' ', '', '']),
    greek_cyrillic_case: () => join(Array.from({ length: R.int(1, 5) }, () => word(R.next() < 0.6 ? P.greek : P.cyrillic, 1, 8)), [' ', '', '-']),
    random_code_points: () => {
      const cps = [];
      for (let i = R.int(1, 24); i > 0; --i) {
        let cp;
        do {
          cp = R.next() < 0.7 ? R.int(0, 0xffff) : R.int(0x10000, 0x10ffff);
        } while (isSurrogate(cp));
        cps.push(String.fromCodePoint(cp));
        if (R.next() < 0.3) cps.push(' ');
      }
      return cps.join('');
    },
    cluener_perturbed: () => {
      const t = clue();
      const r = R.next();
      if (r < 0.25) return t.toUpperCase();
      if (r < 0.5) return sprinkle(t, [...P.invisible, ...P.whitespace, ...P.marks], R.int(1, 6));
      const ascii = { '，': ',', '。': '.', '：': ':', '；': ';', '！': '!', '？': '?' };
      if (r < 0.75) return t.replace(/[，。：；！？]/g, (c) => ascii[c]);
      return t.repeat(R.int(3, 12)); // long texts (the pipeline windows them)
    },
  };
}

// Every code point of planes 0-3 and 14, and a sample of the rest, each probed three ways, 256 per
// line: alone ("c"), inside a word ("ac"), and between combining marks ("\u0301c\u0334", which shows
// NFD reordering in the offsets). Code points on which the two oracles' normalizers or pre-tokenizers
// disagree on their own go to separate lines, so the others still check transformers.js.
function sweepLines() {
  const cps = [];
  for (let cp = 0; cp <= 0x10ffff; ++cp) {
    if (isSurrogate(cp)) continue;
    const plane = cp >> 16;
    if (plane <= 3 || plane === 14 || cp % 251 === 0 || (cp & 0xffff) >= 0xfffd) cps.push(cp);
  }
  const rustNorm = rust.bertNormalizer({ cleanText: true, handleChineseChars: true, stripAccents: true, lowercase: true });
  const rustPre = rust.bertPreTokenizer();
  const jsNorm = new js.BertNormalizer({ clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true });
  const jsPre = new js.BertPreTokenizer();
  const agrees = (c) => {
    const a = rustNorm.normalizeString(c), b = jsNorm.normalize(c);
    if (a !== b) return false;
    const pa = rustPre.preTokenizeString('a' + a + 'a').map(([w]) => w), pb = jsPre.pre_tokenize_text('a' + b + 'a');
    return JSON.stringify(pa) === JSON.stringify(pb);
  };
  const lines = [];
  for (const group of [cps.filter((cp) => agrees(String.fromCodePoint(cp))), cps.filter((cp) => !agrees(String.fromCodePoint(cp)))]) {
    for (let i = 0; i < group.length; i += 256) {
      lines.push(group.slice(i, i + 256).map((cp) => {
        const c = String.fromCodePoint(cp);
        return `${c} a${c} \u0301${c}\u0334`;
      }).join(' '));
    }
  }
  return lines;
}

function main() {
  const [repo, outDir, seedArg] = process.argv.slice(2);
  if (!repo || !outDir) {
    console.error('usage: node gen_parity_inputs.js REPO_DIR OUT_DIR [SEED]');
    process.exit(2);
  }
  const seed = seedArg === undefined ? 20240611 : Number(seedArg);
  const R = makeRandom(seed);
  const cluener = clueTexts(repo);
  const P = makePools(cluener);
  const generators = makeGenerators(R, P, cluener);

  const inputs = [], categories = [];
  const add = (category, text) => { inputs.push(text); categories.push(category); };
  for (const t of cluener) add('cluener', t);
  for (const [name, generate] of Object.entries(generators)) {
    for (let i = 0; i < 160; ++i) add(name, generate());
  }
  for (const line of sweepLines()) add('code_point_sweep', line);

  fs.mkdirSync(outDir, { recursive: true });
  fs.writeFileSync(path.join(outDir, 'inputs.jsonl'), inputs.map((s) => JSON.stringify(s)).join('\n') + '\n');
  fs.writeFileSync(path.join(outDir, 'categories.json'), JSON.stringify({ seed, categories }));
  console.log(`wrote ${inputs.length} inputs (seed ${seed}) to ${outDir}`);
}

main();
