"""BERT WordPiece tokenizer with the semantics of Hugging Face BertTokenizerFast (lowercase, the
configuration bert-base-chinese derived models load), written from the Rust `tokenizers` library's
behaviour in pure Python. Offsets are code-point offsets into the original text.

Steps, in the Rust library's order:
  0. Added-vocabulary split: the special tokens [PAD] [UNK] [CLS] [SEP] [MASK] are matched literally
     (case-sensitive, on the original text, before normalisation) and become single tokens.
  1. BertNormalizer, on each remaining piece:
       clean_text      drop U+0000, U+FFFD and Cc/Cf/Co (except \\t \\n \\r); then map \\t \\n \\r and every
                       White_Space character to ' '
       chinese chars   ' ' around each CJK ideograph (the ranges of is_chinese_char)
       strip accents   NFD, then drop Mn                     (before lowercasing, as in the Rust code)
       lowercase       per character (char::to_lowercase; no final-sigma context)
     Categories come from the Rust crate unicode_categories 0.1.1 (Unicode 8.0 tables, `is_other` is
     Cc|Cf|Co: unassigned code points are kept), see crate_tables.py.
  2. BertPreTokenizer: split on whitespace (removed), isolate every punctuation character
     (ASCII punctuation or the crate's P* categories).
  3. WordPiece: greedy longest match first, '##' continuation; a word of more than 100 characters, or one
     that cannot be matched completely, becomes one [UNK] covering the whole word.
  4. Post-processor: [CLS] ... [SEP], both with offsets (0, 0). Truncation (hints only) keeps the first
     max_length - 2 tokens.

Alignment: every normalised character keeps the index of the original character it came from (an NFD
decomposition or a multi-character lowercase maps all its output to the source character); characters
removed by normalisation belong to no token. A token's offsets are (first char's index, last char's
index + 1).
"""
import bisect
import unicodedata

from . import crate_tables

SPECIAL_TOKENS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")
MAX_INPUT_CHARS_PER_WORD = 100

# Rust char::is_whitespace (Unicode White_Space).
_WHITE_SPACE = frozenset([0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x20, 0x85, 0xA0, 0x1680, *range(0x2000, 0x200B),
                          0x2028, 0x2029, 0x202F, 0x205F, 0x3000])


class _RangeSet:
    def __init__(self, ranges):
        ranges = sorted(ranges)
        self.starts = [a for a, _ in ranges]
        self.ends = [b for _, b in ranges]

    def __contains__(self, cp):
        i = bisect.bisect_right(self.starts, cp) - 1
        return i >= 0 and cp <= self.ends[i]


_CONTROL = _RangeSet(crate_tables.CC + crate_tables.CF + crate_tables.CO)
_MN = _RangeSet(crate_tables.MN)
_PUNCT = _RangeSet(crate_tables.PUNCT)


def is_whitespace(cp):
    return cp in _WHITE_SPACE  # \t \n \r are White_Space already


def is_control(cp):
    if cp in (0x09, 0x0A, 0x0D):
        return False
    return cp in _CONTROL


def is_chinese_char(cp):
    return (0x4E00 <= cp <= 0x9FFF or 0x3400 <= cp <= 0x4DBF or 0x20000 <= cp <= 0x2A6DF
            or 0x2A700 <= cp <= 0x2B73F or 0x2B740 <= cp <= 0x2B81F or 0x2B920 <= cp <= 0x2CEAF
            or 0xF900 <= cp <= 0xFAFF or 0x2F800 <= cp <= 0x2FA1F)


def is_punctuation(cp):
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return cp in _PUNCT


def is_mark_nonspacing(cp):
    return cp in _MN


def _nfd_with_alignment(chars):
    """NFD of a list of (char, original index): per-character decomposition, then canonical ordering
    of combining marks (stable sort by combining class within runs of non-starters)."""
    out = []
    for ch, idx in chars:
        d = unicodedata.normalize("NFD", ch)
        for c in d:
            out.append((c, idx))
    i = 0
    while i < len(out):
        if unicodedata.combining(out[i][0]) == 0:
            i += 1
            continue
        j = i
        while j < len(out) and unicodedata.combining(out[j][0]) != 0:
            j += 1
        out[i:j] = sorted(out[i:j], key=lambda t: unicodedata.combining(t[0]))
        i = j
    return out


def normalize(text, base=0):
    """BertNormalizer on `text` (a piece of the original starting at code point `base`). Returns a list
    of (char, original code-point index)."""
    chars = []
    for i, ch in enumerate(text):
        cp = ord(ch)
        if cp == 0 or cp == 0xFFFD or is_control(cp):
            continue
        if is_whitespace(cp):
            ch = " "
        chars.append((ch, base + i))
    spaced = []
    for ch, idx in chars:
        if is_chinese_char(ord(ch)):
            spaced += [(" ", idx), (ch, idx), (" ", idx)]
        else:
            spaced.append((ch, idx))
    stripped = [(c, idx) for c, idx in _nfd_with_alignment(spaced) if not is_mark_nonspacing(ord(c))]
    lowered = []
    for ch, idx in stripped:
        for c in ch.lower():  # per character, like char::to_lowercase
            lowered.append((c, idx))
    return lowered


def pre_tokenize(normalized):
    """BertPreTokenizer: a list of words, each a list of (char, original index)."""
    words, cur = [], []
    for ch, idx in normalized:
        cp = ord(ch)
        if is_whitespace(cp):
            if cur:
                words.append(cur)
            cur = []
        elif is_punctuation(cp):
            if cur:
                words.append(cur)
            words.append([(ch, idx)])
            cur = []
        else:
            cur.append((ch, idx))
    if cur:
        words.append(cur)
    return words


class Encoding:
    __slots__ = ("ids", "tokens", "offsets")

    def __init__(self, ids, tokens, offsets):
        self.ids, self.tokens, self.offsets = ids, tokens, offsets

    def __len__(self):
        return len(self.ids)

    @property
    def attention_mask(self):
        return [1] * len(self.ids)


class BertTokenizer:
    def __init__(self, vocab_path):
        with open(vocab_path, "rb") as f:
            lines = f.read().decode("utf-8").split("\n")  # '\n' only: two entries hold U+2028
        if lines and lines[-1] == "":
            lines.pop()
        self.vocab = {}
        for i, tok in enumerate(lines):
            self.vocab[tok] = i  # a repeated entry maps to its last line, as transformers' load_vocab
        self.inv_vocab = lines
        for t in SPECIAL_TOKENS:
            if t not in self.vocab:
                raise ValueError(f"{vocab_path}: special token {t} missing from the vocabulary")
        self.unk_id = self.vocab["[UNK]"]
        self.cls_id = self.vocab["[CLS]"]
        self.sep_id = self.vocab["[SEP]"]
        self.pad_id = self.vocab["[PAD]"]

    def wordpiece(self, word):
        """word: list of (char, original index). Returns [(id, token, (start, end))]."""
        full = (word[0][1], word[-1][1] + 1)
        if len(word) > MAX_INPUT_CHARS_PER_WORD:
            return [(self.unk_id, "[UNK]", full)]
        s = "".join(c for c, _ in word)
        out, start = [], 0
        while start < len(s):
            end = len(s)
            found = None
            while start < end:
                sub = s[start:end]
                if start > 0:
                    sub = "##" + sub
                if sub in self.vocab:
                    found = (self.vocab[sub], sub, (word[start][1], word[end - 1][1] + 1))
                    break
                end -= 1
            if found is None:
                return [(self.unk_id, "[UNK]", full)]
            out.append(found)
            start = end
        return out

    def _split_special(self, text):
        """Added-vocabulary split: [(piece, base, special_id or None)]."""
        pieces, pos, last = [], 0, 0
        n = len(text)
        while pos < n:
            if text[pos] == "[":
                hit = None
                for t in SPECIAL_TOKENS:
                    if text.startswith(t, pos):
                        hit = t
                        break
                if hit is not None:
                    if last < pos:
                        pieces.append((text[last:pos], last, None))
                    pieces.append((hit, pos, self.vocab[hit]))
                    pos += len(hit)
                    last = pos
                    continue
            pos += 1
        if last < n:
            pieces.append((text[last:], last, None))
        return pieces

    def tokenize_body(self, text):
        """Tokens of `text` without [CLS]/[SEP]: [(id, token, (start, end))]."""
        out = []
        for piece, base, special in self._split_special(text):
            if special is not None:
                out.append((special, piece, (base, base + len(piece))))
                continue
            for word in pre_tokenize(normalize(piece, base)):
                out += self.wordpiece(word)
        return out

    def encode(self, text, max_length=None):
        body = self.tokenize_body(text)
        if max_length is not None:
            body = body[:max(0, max_length - 2)]
        ids = [self.cls_id] + [t[0] for t in body] + [self.sep_id]
        toks = ["[CLS]"] + [t[1] for t in body] + ["[SEP]"]
        offs = [(0, 0)] + [t[2] for t in body] + [(0, 0)]
        return Encoding(ids, toks, offs)
