#include "text/bert_tokenizer.h"

#include <algorithm>
#include <string>

#include "core/error.h"
#include "core/utf8.h"
#include "text/bert_pre_tokenizer.h"

namespace uninlu {

namespace {

// Buffers reused across the segments and words of one encode() call, so the per-character work
// allocates nothing.
struct Scratch {
  std::vector<text::NormalizedChar> normalized;
  std::vector<text::WordSpan> words;
  std::string word_utf8;
  std::vector<std::uint32_t> char_starts;
  std::vector<text::WordPieceToken> pieces;
};

// UTF-8 for a valid code point, appended byte by byte (cheaper than a library call per character).
void append_utf8_fast(std::string& out, char32_t cp) {
  const auto byte = [&](char32_t b) { out.push_back(static_cast<char>(b)); };
  if (cp < 0x80) {
    byte(cp);
  } else if (cp < 0x800) {
    byte(0xC0 | (cp >> 6));
    byte(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    byte(0xE0 | (cp >> 12));
    byte(0x80 | ((cp >> 6) & 0x3F));
    byte(0x80 | (cp & 0x3F));
  } else {
    byte(0xF0 | (cp >> 18));
    byte(0x80 | ((cp >> 12) & 0x3F));
    byte(0x80 | ((cp >> 6) & 0x3F));
    byte(0x80 | (cp & 0x3F));
  }
}

// Normalizes, pre-tokenizes and WordPiece-tokenizes text between special tokens; text[0] is code point
// `origin` of the whole input. A token's offsets run from the original position of its first normalized
// character to the end of its last one.
void encode_segment(std::u32string_view segment, std::int32_t origin, const text::BertNormalizer& normalizer,
                    const text::WordPiece& wordpiece, Scratch& s, Encoding& out) {
  s.normalized.clear();
  s.words.clear();
  normalizer.normalize(segment, origin, s.normalized);
  text::bert_pre_tokenize(s.normalized, s.words);
  for (const text::WordSpan& word : s.words) {
    s.word_utf8.clear();
    s.char_starts.clear();
    for (std::size_t i = word.first; i < word.last; ++i) {
      s.char_starts.push_back(static_cast<std::uint32_t>(s.word_utf8.size()));
      append_utf8_fast(s.word_utf8, s.normalized[i].cp);
    }
    s.char_starts.push_back(static_cast<std::uint32_t>(s.word_utf8.size()));
    s.pieces.clear();
    wordpiece.tokenize(s.word_utf8, s.char_starts, s.pieces);
    for (const text::WordPieceToken& piece : s.pieces) {
      out.ids.push_back(piece.id);
      out.offsets.emplace_back(s.normalized[word.first + piece.first].begin,
                               s.normalized[word.first + piece.last - 1].end);
    }
  }
}

bool matches_at(std::u32string_view text, std::size_t pos, std::u32string_view token) {
  return text.substr(pos, token.size()) == token;
}

}  // namespace

BertTokenizer::BertTokenizer(std::shared_ptr<const Vocab> vocab, TokenizerOptions options)
    : vocab_(std::move(vocab)),
      options_(options),
      normalizer_(text::NormalizerOptions{.handle_chinese_chars = options.tokenize_chinese_chars,
                                          .strip_accents = options.lowercase,
                                          .lowercase = options.lowercase}),
      wordpiece_(std::make_shared<const text::WordPiece>(vocab_, options.max_input_chars_per_word)) {
  // BertTokenizer's special tokens. One the vocabulary lacks would be appended by transformers with a
  // new id past the embedding table; uninlu does not treat it as special (the vocabulary must hold
  // [PAD] [UNK] [CLS] [SEP]; docs/tokenizer.md).
  for (const char* name : {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"}) {
    if (const auto id = vocab_->find(name)) added_tokens_.push_back({decode_utf8(name), *id});
  }
  std::stable_sort(added_tokens_.begin(), added_tokens_.end(),
                   [](const AddedToken& a, const AddedToken& b) { return a.content.size() > b.content.size(); });
}

Encoding BertTokenizer::encode(std::string_view text, bool add_special_tokens) const {
  const std::u32string cps = decode_utf8(text, "text");
  Encoding out;
  out.ids.reserve(cps.size() + 2);
  out.offsets.reserve(cps.size() + 2);
  if (add_special_tokens) {
    out.ids.push_back(vocab_->cls_id());
    out.offsets.emplace_back(0, 0);
  }

  Scratch scratch;
  scratch.normalized.reserve(cps.size() + 16);
  const std::u32string_view view(cps);
  std::size_t segment_start = 0;
  for (std::size_t pos = 0; pos < view.size();) {
    const AddedToken* match = nullptr;
    if (view[pos] == U'[') {
      for (const AddedToken& token : added_tokens_) {
        if (matches_at(view, pos, token.content)) {
          match = &token;
          break;
        }
      }
    }
    if (!match) {
      ++pos;
      continue;
    }
    encode_segment(view.substr(segment_start, pos - segment_start), static_cast<std::int32_t>(segment_start),
                   normalizer_, *wordpiece_, scratch, out);
    out.ids.push_back(match->id);
    out.offsets.emplace_back(static_cast<std::int32_t>(pos), static_cast<std::int32_t>(pos + match->content.size()));
    pos += match->content.size();
    segment_start = pos;
  }
  encode_segment(view.substr(segment_start), static_cast<std::int32_t>(segment_start), normalizer_, *wordpiece_,
                 scratch, out);

  if (add_special_tokens) {
    out.ids.push_back(vocab_->sep_id());
    out.offsets.emplace_back(0, 0);
  }
  return out;
}

Encoding BertTokenizer::encode_truncated(std::string_view text, std::size_t max_length) const {
  if (max_length < 2) {
    fail(ErrorKind::Usage, "max_length must leave room for [CLS] and [SEP] (got " + std::to_string(max_length) + ")");
  }
  Encoding enc = encode(text, true);
  if (enc.size() > max_length) {
    // Keep [CLS] and the first max_length - 2 tokens, then [SEP] (truncation after the special tokens
    // are accounted for, as tokenizers' post-processing does).
    const auto keep = static_cast<std::ptrdiff_t>(max_length - 1);
    enc.ids.erase(enc.ids.begin() + keep, enc.ids.end() - 1);
    enc.offsets.erase(enc.offsets.begin() + keep, enc.offsets.end() - 1);
  }
  return enc;
}

}  // namespace uninlu
