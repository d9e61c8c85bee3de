'use strict';
// Compares uninlu's tokenizer output with the two reference tokenizers and checks offset properties.
// Usage: node compare_parity.js DIR TRUNCATION_LENGTH
// DIR holds tokenizer.json, inputs.jsonl, categories.json, ours.jsonl (uninlu tokenize --jsonl) and
// ours_truncated.jsonl (the same with --max-length TRUNCATION_LENGTH). Exits 1 on any mismatch.
const fs = require('fs');
const path = require('path');
const { loadOracles } = require('./oracles');

const MAX_SHOWN = 5;

const readJsonl = (file) => fs.readFileSync(file, 'utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l));
const sameArray = (a, b) => a.length === b.length && a.every((x, i) => (Array.isArray(x) ? sameArray(x, b[i]) : x === b[i]));
const isChinese = (cp) => (cp >= 0x4e00 && cp <= 0x9fff) || (cp >= 0x3400 && cp <= 0x4dbf) || (cp >= 0x20000 && cp <= 0x2a6df) ||
  (cp >= 0x2a700 && cp <= 0x2b73f) || (cp >= 0x2b740 && cp <= 0x2b81f) || (cp >= 0x2b920 && cp <= 0x2ceaf) ||
  (cp >= 0xf900 && cp <= 0xfaff) || (cp >= 0x2f800 && cp <= 0x2fa1f);

class Failures {
  constructor() { this.byCheck = new Map(); }
  add(check, detail) {
    if (!this.byCheck.has(check)) this.byCheck.set(check, { count: 0, shown: [] });
    const entry = this.byCheck.get(check);
    entry.count += 1;
    if (entry.shown.length < MAX_SHOWN) entry.shown.push(detail());
  }
  get total() { let n = 0; for (const e of this.byCheck.values()) n += e.count; return n; }
}

// Where transformers.js is known to part from the Rust library (docs/tokenizer.md, "Deviations").
function jsDeviation(oracles, text) {
  const rustNormalized = oracles.rustNormalize(text);
  let jsNormalized;
  try {
    jsNormalized = oracles.jsNormalize(text);
  } catch (e) {
    return 'transformers.js throws';
  }
  if (rustNormalized !== jsNormalized) {
    if (Array.from(text).some((c) => c.codePointAt(0) >= 0x10000 && isChinese(c.codePointAt(0)))) {
      return 'CJK ideographs outside the BMP are not isolated (UTF-16 code units)';
    }
    if (rustNormalized.replace(/ς/g, 'σ') === jsNormalized.replace(/ς/g, 'σ')) {
      return 'final sigma (String.toLowerCase is context-sensitive)';
    }
    if (Array.from(text).some((c) => oracles.rustNormalize(c) !== oracles.jsNormalize(c))) {
      return 'Unicode tables (Cc/Cf/Co, Mn, lowercase: Unicode 8.0/16 in Rust, 15.1 in V8)';
    }
    const sorted = (s) => Array.from(s).sort().join('');
    if (sorted(rustNormalized) === sorted(jsNormalized)) {
      return 'canonical reordering (combining classes newer than the Rust NFD tables)';
    }
    return 'lowercase before strip_accents';
  }
  if (!sameArray(oracles.rustPreTokenize(rustNormalized), oracles.jsPreTokenize(jsNormalized))) {
    return 'punctuation table (Unicode 8.0 in Rust, 15.1 in V8)';
  }
  return null;
}

function main() {
  const [dir, truncationArg] = process.argv.slice(2);
  const truncation = Number(truncationArg);
  const file = (name) => path.join(dir, name);
  const inputs = readJsonl(file('inputs.jsonl'));
  const { categories } = JSON.parse(fs.readFileSync(file('categories.json'), 'utf8'));
  const ours = readJsonl(file('ours.jsonl'));
  const oursTruncated = readJsonl(file('ours_truncated.jsonl'));
  const vocab = [];
  for (const [token, id] of Object.entries(JSON.parse(fs.readFileSync(file('tokenizer.json'), 'utf8')).model.vocab)) vocab[id] = token;
  const oracles = loadOracles(file('tokenizer.json'));
  const failures = new Failures();
  if (ours.length !== inputs.length || oursTruncated.length !== inputs.length) {
    console.error(`error: ${inputs.length} inputs but ${ours.length} / ${oursTruncated.length} output lines`);
    process.exit(1);
  }

  const show = (text, label, ids, offsets) => `    ${label}: ${ids.map((id, k) => `${vocab[id] ?? id}${offsets ? `(${offsets[k][0]},${offsets[k][1]})` : ''}`).join(' ')}`;
  const clip = (s) => (s.length > 300 ? JSON.stringify(s.slice(0, 300)) + `... (${s.length} UTF-16 units)` : JSON.stringify(s));
  const diff = (i, extra) => () => [`  line ${i + 1} [${categories[i]}] ${clip(inputs[i])}`, ...extra].join('\n');

  return (async () => {
    const rust = await oracles.rustEncode(inputs);
    const rustTruncated = await oracles.rustEncode(inputs, truncation);
    const stats = { strings: inputs.length, tokens: 0, rustIdMatches: 0, rustOffsetMatches: 0, jsChecked: 0, jsIdMatches: 0, jsTokens: 0, truncatedMatches: 0 };
    const deviations = new Map();
    const perCategory = new Map();

    for (let i = 0; i < inputs.length; ++i) {
      const text = inputs[i], mine = ours[i], ref = rust[i];
      stats.tokens += mine.ids.length;
      const cat = perCategory.get(categories[i]) || { strings: 0, tokens: 0 };
      cat.strings += 1;
      cat.tokens += mine.ids.length;
      perCategory.set(categories[i], cat);

      // 1. Ids and offsets: exactly the Rust library's.
      const idsMatch = sameArray(mine.ids, ref.ids);
      const offsetsMatch = sameArray(mine.offsets, ref.offsets);
      if (idsMatch) stats.rustIdMatches += 1;
      else failures.add('ids differ from the Rust library', diff(i, [show(text, 'uninlu', mine.ids, mine.offsets), show(text, 'rust  ', ref.ids, ref.offsets)]));
      if (offsetsMatch) stats.rustOffsetMatches += 1;
      else if (idsMatch) failures.add('offsets differ from the Rust library', diff(i, [show(text, 'uninlu', mine.ids, mine.offsets), show(text, 'rust  ', ref.ids, ref.offsets)]));

      // 2. Ids: transformers.js's, except where it is known to differ from the Rust library.
      const reason = jsDeviation(oracles, text);
      if (reason) {
        const d = deviations.get(reason) || { strings: 0, idsDiffer: 0, example: null };
        d.strings += 1;
        let jsIds = null;
        try { jsIds = oracles.jsEncode(text); } catch (e) { /* counted as differing */ }
        if (!jsIds || !sameArray(jsIds, ref.ids)) {
          d.idsDiffer += 1;
          if (!d.example && jsIds && text.length < 80) d.example = `${JSON.stringify(text)}: rust ${ref.ids.join(' ')} / transformers.js ${jsIds.join(' ')}`;
        }
        deviations.set(reason, d);
      } else {
        const jsIds = oracles.jsEncode(text);
        stats.jsChecked += 1;
        stats.jsTokens += jsIds.length;
        if (sameArray(jsIds, mine.ids)) stats.jsIdMatches += 1;
        else failures.add('ids differ from transformers.js (no known deviation applies)', diff(i, [show(text, 'uninlu', mine.ids, mine.offsets), show(text, 'js    ', jsIds)]));
      }

      // 3. Offset properties (definition in docs/tokenizer.md).
      const cps = Array.from(text);
      const n = mine.ids.length;
      const bad = (what) => failures.add(`offset property: ${what}`, diff(i, [show(text, 'uninlu', mine.ids, mine.offsets)]));
      if (n < 2 || !sameArray(mine.offsets[0], [0, 0]) || !sameArray(mine.offsets[n - 1], [0, 0])) bad('[CLS] and [SEP] at (0, 0)');
      for (let k = 1; k < n - 1; ++k) {
        const [b, e] = mine.offsets[k];
        if (!(b >= 0 && b < e && e <= cps.length)) { bad('0 <= begin < end <= length'); break; }
        if (k > 1 && (b < mine.offsets[k - 1][0] || e < mine.offsets[k - 1][1])) { bad('begins and ends never decrease'); break; }
      }
      if (categories[i] !== 'code_point_sweep') {
        for (let k = 1; k < n - 1; ++k) {
          const token = vocab[mine.ids[k]];
          if (token === '[UNK]') continue;
          const [b, e] = mine.offsets[k];
          const covered = oracles.rustNormalize(cps.slice(b, e).join('')).replace(/ /g, '');
          const piece = token.startsWith('##') ? token.slice(2) : token;
          const shared = (k > 1 && mine.offsets[k - 1][1] > b) || (k < n - 2 && mine.offsets[k + 1][0] < e);
          const special = /^\[(CLS|SEP|PAD|UNK|MASK)\]$/.test(token) && cps.slice(b, e).join('') === token;
          if (!special && !(shared ? covered.includes(piece) : covered === piece)) {
            bad('the covered text normalizes to the token');
            break;
          }
        }
      }

      // 4. Truncation (the prompt path): the Rust library with truncation=max_length.
      if (sameArray(oursTruncated[i].ids, rustTruncated[i].ids) && sameArray(oursTruncated[i].offsets, rustTruncated[i].offsets)) stats.truncatedMatches += 1;
      else failures.add(`truncation to ${truncation} differs from the Rust library`, diff(i, [show(text, 'uninlu', oursTruncated[i].ids, oursTruncated[i].offsets), show(text, 'rust  ', rustTruncated[i].ids, rustTruncated[i].offsets)]));
    }

    const pct = (a, b) => `${a}/${b} (${b ? ((100 * a) / b).toFixed(2) : '100.00'}%)`;
    console.log(`reference 1: ${oracles.versions.rust} (Hugging Face tokenizers, Rust): ids + offsets`);
    console.log(`reference 2: ${oracles.versions.js} (transformers.js tokenizer): ids`);
    console.log(`strings: ${stats.strings}, tokens (uninlu, incl. [CLS]/[SEP]): ${stats.tokens}`);
    for (const [name, c] of perCategory) console.log(`  ${name.padEnd(22)} ${String(c.strings).padStart(5)} strings ${String(c.tokens).padStart(8)} tokens`);
    console.log(`ids == Rust:            ${pct(stats.rustIdMatches, stats.strings)}`);
    console.log(`offsets == Rust:        ${pct(stats.rustOffsetMatches, stats.strings)}`);
    console.log(`ids == transformers.js: ${pct(stats.jsIdMatches, stats.jsChecked)} strings (${stats.jsTokens} tokens) without a known deviation`);
    console.log(`truncated (max_length ${truncation}) == Rust: ${pct(stats.truncatedMatches, stats.strings)}`);
    console.log(`known transformers.js deviations (judged against the Rust library only): ${stats.strings - stats.jsChecked} strings`);
    for (const [reason, d] of deviations) {
      console.log(`  ${reason}: ${d.strings} strings, ids differ in ${d.idsDiffer}`);
      if (d.example) console.log(`    e.g. ${d.example}`);
    }
    if (failures.total === 0) {
      console.log('PASS: no mismatches');
      return 0;
    }
    console.log(`FAIL: ${failures.total} mismatches`);
    for (const [check, entry] of failures.byCheck) {
      console.log(`- ${check}: ${entry.count} strings; first ${entry.shown.length}:`);
      for (const d of entry.shown) console.log(d);
    }
    return 1;
  })();
}

main().then((code) => process.exit(code), (err) => { console.error(err); process.exit(2); });
