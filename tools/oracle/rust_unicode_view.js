'use strict';
// How the Rust Hugging Face `tokenizers` library (through its Node bindings) treats each code point in
// BertNormalizer and BertPreTokenizer, probed one code point at a time through the library's own
// normalizers and pre-tokenizer. The fields are those of tests/text/unicode_dump_main.cc:
//   clean: 'K' kept, 'R' removed, 'W' mapped to a space (clean_text)
//   mn:    1 when strip_accents drops it, 0 when it keeps it, null when NFD changes it (then only the
//          parts matter)
//   punct: 1 when the pre-tokenizer isolates it
//   ccc:   canonical combining class as far as NFD reordering shows it (only asked for code points
//          utf8proc gives a non-zero class)
//   nfd, lower: arrays of code points (NFD and lowercase of the single code point)
const rust = require('@anush008/tokenizers');

const cleanOnly = rust.bertNormalizer({ cleanText: true, handleChineseChars: false, stripAccents: false, lowercase: false });
const stripOnly = rust.bertNormalizer({ cleanText: false, handleChineseChars: false, stripAccents: true, lowercase: false });
const nfd = rust.nfdNormalizer();
const lowercase = rust.lowercase();
const preTokenizer = rust.bertPreTokenizer();

const codePoints = (s) => Array.from(s, (c) => c.codePointAt(0));

function clean(c) {
  const out = cleanOnly.normalizeString(c);
  if (out === '') return 'R';
  if (out === ' ') return 'W';
  if (out === c) return 'K';
  throw new Error(`clean_text maps U+${c.codePointAt(0).toString(16)} to ${JSON.stringify(out)}`);
}

// ccc != 0 shows as reordering against U+0334 (ccc 1) after it or U+0301 (ccc 230) before it.
function combiningClass(c, utf8procClass) {
  const after = codePoints(nfd.normalizeString(c + '\u0334'));
  const before = codePoints(nfd.normalizeString('\u0301' + c));
  const movedPastLow = after[0] !== c.codePointAt(0); // so ccc > 1
  const movedPastHigh = before[0] !== 0x301;         // so ccc < 230
  const expectLow = utf8procClass > 1;
  const expectHigh = utf8procClass < 230;
  if (movedPastLow === expectLow && movedPastHigh === expectHigh) return utf8procClass;
  if (!movedPastLow && !movedPastHigh) return 0;
  throw new Error(`cannot infer the combining class of U+${c.codePointAt(0).toString(16)}`);
}

function rustView(cp, utf8procClass) {
  const c = String.fromCodePoint(cp);
  const decomposed = codePoints(nfd.normalizeString(c));
  const unchangedByNfd = decomposed.length === 1 && decomposed[0] === cp;
  let mn = null;
  if (unchangedByNfd) {
    const stripped = stripOnly.normalizeString(c);
    if (stripped !== '' && stripped !== c) throw new Error(`strip_accents maps U+${cp.toString(16)} oddly`);
    mn = stripped === '' ? 1 : 0;
  }
  return {
    clean: clean(c),
    mn,
    punct: preTokenizer.preTokenizeString('a' + c + 'a').length === 3 ? 1 : 0,
    ccc: utf8procClass !== 0 && unchangedByNfd ? combiningClass(c, utf8procClass) : utf8procClass,
    nfd: decomposed,
    lower: codePoints(lowercase.normalizeString(c)),
  };
}

module.exports = { rustView };
