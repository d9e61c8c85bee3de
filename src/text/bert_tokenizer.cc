#include "text/bert_tokenizer.h"

#include <algorithm>
#include <string>

#include "core/error.h"
#include "core/utf8.h"
#include "text/bert_pre_tokenizer.h"

namespace uninlu {

namespace {

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

bool matches_at(std::u32string_view text, std::size_t pos, std::u32string_view token) {
  return text.substr(pos, token.size()) == token;
}

std::u32string normalized_content(const text::BertNormalizer& normalizer, const std::string& content) {
  std::vector<text::NormalizedChar> chars;
  normalizer.normalize(decode_utf8(content), 0, chars);
  std::u32string out;
  for (const auto& c : chars) out.push_back(c.cp);
  return out;
}

[[noreturn]] void missing_token(const char* role, const std::string& token, const char* why) {
  fail(ErrorKind::ModelLoad, std::string(role) + " \"" + token + "\" is not in the vocabulary (vocab.txt); " + why);
}

}  // namespace

struct BertTokenizer::Scratch {
  std::vector<text::NormalizedChar> normalized;
  std::vector<text::WordSpan> words;
  std::string word_utf8;
  std::vector<std::uint32_t> char_starts;
  std::vector<text::WordPieceToken> pieces;
  std::u32string normalized_cps;
};

void BertTokenizer::Matcher::add(std::u32string content, std::int32_t id) {
  if (content.empty()) return;
  if (first_cps_.size() <= content[0]) first_cps_.resize(content[0] + 1, false);
  first_cps_[content[0]] = true;
  tokens_.push_back({std::move(content), id});
}

void BertTokenizer::Matcher::finish() {
  std::stable_sort(tokens_.begin(), tokens_.end(),
                   [](const AddedToken& a, const AddedToken& b) { return a.content.size() > b.content.size(); });
}

const BertTokenizer::AddedToken* BertTokenizer::Matcher::match_at(std::u32string_view text, std::size_t pos) const {
  const char32_t cp = text[pos];
  if (cp >= first_cps_.size() || !first_cps_[cp]) return nullptr;
  for (const AddedToken& token : tokens_) {
    if (matches_at(text, pos, token.content)) return &token;
  }
  return nullptr;
}

BertTokenizer::BertTokenizer(std::shared_ptr<const Vocab> vocab, const TokenizerSettings& settings,
                             std::size_t max_input_chars_per_word)
    : vocab_(std::move(vocab)),
      settings_(settings),
      normalizer_(text::NormalizerOptions{.handle_chinese_chars = settings.tokenize_chinese_chars,
                                          .strip_accents = settings.effective_strip_accents(),
                                          .lowercase = settings.do_lower_case}) {
  const auto unk = vocab_->find(settings_.unk_token);
  if (!unk) missing_token("unk_token", settings_.unk_token, "WordPiece needs it there");
  unk_id_ = *unk;
  wordpiece_ = std::make_shared<const text::WordPiece>(vocab_, unk_id_, max_input_chars_per_word);

  // The added vocabulary as transformers builds it: the listed added tokens, then the special tokens.
  // A token in vocab.txt keeps its id there; the others get the next ids past it, in order.
  std::vector<AddedTokenSpec> tokens = settings_.added_tokens;
  const auto special = [](const std::string& content) { return AddedTokenSpec{content, std::nullopt, true, false}; };
  for (const std::string* name : {&settings_.unk_token, &settings_.sep_token, &settings_.pad_token,
                                  &settings_.cls_token, &settings_.mask_token}) {
    tokens.push_back(special(*name));
  }
  StringMap<std::int32_t> added_ids;
  auto next_id = static_cast<std::int32_t>(vocab_->size());
  for (const AddedTokenSpec& token : tokens) {
    if (added_ids.find(token.content) != added_ids.end()) continue;  // listed twice: the first one counts
    const auto in_vocab = vocab_->find(token.content);
    const bool is_default_mask = &token == &tokens.back() && !settings_.mask_token_configured;
    if (!in_vocab && is_default_mask) continue;  // BERT's [MASK] is optional unless a file names it
    const std::int32_t id = in_vocab ? *in_vocab : next_id++;
    if (token.id && *token.id != id) {
      fail(ErrorKind::ModelLoad, "added token \"" + token.content + "\" has id " + std::to_string(*token.id) +
                                     " in the tokenizer files, but " +
                                     (in_vocab ? "vocab.txt holds it as id " + std::to_string(id)
                                               : "it is not in vocab.txt, so it gets the next free id, " +
                                                     std::to_string(id)) +
                                     " (as transformers assigns them)");
    }
    added_ids.emplace(token.content, id);
    if (token.normalized) {
      normalized_tokens_.add(normalized_content(normalizer_, token.content), id);
    } else {
      raw_tokens_.add(decode_utf8(token.content), id);
    }
  }
  raw_tokens_.finish();
  normalized_tokens_.finish();
  id_count_ = static_cast<std::size_t>(next_id);

  const auto id_of = [&](const char* role, const std::string& name) {
    const auto it = added_ids.find(name);
    if (it == added_ids.end() || it->second >= static_cast<std::int32_t>(vocab_->size())) {
      // transformers would append it past the embedding table; refuse instead of failing at inference.
      missing_token(role, name, "the model has no embedding for it");
    }
    return it->second;
  };
  cls_id_ = id_of("cls_token", settings_.cls_token);
  sep_id_ = id_of("sep_token", settings_.sep_token);
  pad_id_ = id_of("pad_token", settings_.pad_token);
  if (settings_.mask_token_configured) id_of("mask_token", settings_.mask_token);
}

// Normalizes text between raw-matched added tokens, matches the normalized added tokens in it, and
// pre-tokenizes and WordPiece-tokenizes the rest; text[0] is code point `origin` of the whole input.
void BertTokenizer::encode_segment(std::u32string_view segment, std::int32_t origin, Scratch& s,
                                   Encoding& out) const {
  s.normalized.clear();
  normalizer_.normalize(segment, origin, s.normalized);
  if (normalized_tokens_.empty()) {
    encode_words(0, s.normalized.size(), s, out);
    return;
  }
  s.normalized_cps.clear();
  for (const auto& c : s.normalized) s.normalized_cps.push_back(c.cp);
  const std::u32string_view view(s.normalized_cps);
  std::size_t piece_start = 0;
  for (std::size_t pos = 0; pos < view.size();) {
    const AddedToken* match = normalized_tokens_.match_at(view, pos);
    if (!match) {
      ++pos;
      continue;
    }
    encode_words(piece_start, pos, s, out);
    out.ids.push_back(match->id);
    out.offsets.emplace_back(s.normalized[pos].begin, s.normalized[pos + match->content.size() - 1].end);
    pos += match->content.size();
    piece_start = pos;
  }
  encode_words(piece_start, view.size(), s, out);
}

// Pre-tokenizes normalized characters [first, last) and WordPiece-tokenizes each word. A token's offsets
// run from the original position of its first normalized character to the end of its last one.
void BertTokenizer::encode_words(std::size_t first, std::size_t last, Scratch& s, Encoding& out) const {
  s.words.clear();
  const std::span<const text::NormalizedChar> chars(s.normalized.data() + first, last - first);
  text::bert_pre_tokenize(chars, s.words);
  for (const text::WordSpan& word : s.words) {
    s.word_utf8.clear();
    s.char_starts.clear();
    for (std::size_t i = word.first; i < word.last; ++i) {
      s.char_starts.push_back(static_cast<std::uint32_t>(s.word_utf8.size()));
      append_utf8_fast(s.word_utf8, chars[i].cp);
    }
    s.char_starts.push_back(static_cast<std::uint32_t>(s.word_utf8.size()));
    s.pieces.clear();
    wordpiece_->tokenize(s.word_utf8, s.char_starts, s.pieces);
    for (const text::WordPieceToken& piece : s.pieces) {
      out.ids.push_back(piece.id);
      out.offsets.emplace_back(chars[word.first + piece.first].begin, chars[word.first + piece.last - 1].end);
    }
  }
}

Encoding BertTokenizer::encode(std::string_view text, bool add_special_tokens) const {
  const std::u32string cps = decode_utf8(text, "text");
  Encoding out;
  out.ids.reserve(cps.size() + 2);
  out.offsets.reserve(cps.size() + 2);
  if (add_special_tokens) {
    out.ids.push_back(cls_id_);
    out.offsets.emplace_back(0, 0);
  }

  Scratch scratch;
  scratch.normalized.reserve(cps.size() + 16);
  const std::u32string_view view(cps);
  std::size_t segment_start = 0;
  for (std::size_t pos = 0; pos < view.size();) {
    const AddedToken* match = raw_tokens_.match_at(view, pos);
    if (!match) {
      ++pos;
      continue;
    }
    encode_segment(view.substr(segment_start, pos - segment_start), static_cast<std::int32_t>(segment_start),
                   scratch, out);
    out.ids.push_back(match->id);
    out.offsets.emplace_back(static_cast<std::int32_t>(pos), static_cast<std::int32_t>(pos + match->content.size()));
    pos += match->content.size();
    segment_start = pos;
  }
  encode_segment(view.substr(segment_start), static_cast<std::int32_t>(segment_start), scratch, out);

  if (add_special_tokens) {
    out.ids.push_back(sep_id_);
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
