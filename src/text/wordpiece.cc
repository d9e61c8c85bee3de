#include "text/wordpiece.h"

#include <algorithm>
#include <string>

namespace uninlu::text {

namespace {

constexpr std::string_view kContinuationPrefix = "##";
constexpr std::size_t kBmpSize = 0x10000;
constexpr std::int32_t kNone = -1;

// The code point of `s` if it is exactly one BMP character in (valid) UTF-8, else kBmpSize.
std::size_t single_bmp_char(std::string_view s) noexcept {
  const auto byte = [&](std::size_t i) { return static_cast<std::size_t>(static_cast<unsigned char>(s[i])); };
  if (s.size() == 1 && byte(0) < 0x80) return byte(0);
  if (s.size() == 2 && (byte(0) & 0xE0) == 0xC0) return ((byte(0) & 0x1F) << 6) | (byte(1) & 0x3F);
  if (s.size() == 3 && (byte(0) & 0xF0) == 0xE0) {
    return ((byte(0) & 0x0F) << 12) | ((byte(1) & 0x3F) << 6) | (byte(2) & 0x3F);
  }
  return kBmpSize;
}

}  // namespace

WordPiece::WordPiece(std::shared_ptr<const Vocab> vocab, std::int32_t unk_id, std::size_t max_input_chars_per_word)
    : vocab_(std::move(vocab)),
      bmp_first_ids_(kBmpSize, kNone),
      bmp_continuation_ids_(kBmpSize, kNone),
      unk_id_(unk_id),
      max_input_chars_per_word_(max_input_chars_per_word) {
  for (std::size_t id = 0; id < vocab_->size(); ++id) {
    const std::string& token = vocab_->tokens()[id];
    longest_token_ = std::max(longest_token_, token.size());
    if (const std::size_t cp = single_bmp_char(token); cp < kBmpSize) bmp_first_ids_[cp] = static_cast<std::int32_t>(id);
    if (token.starts_with(kContinuationPrefix)) {
      const std::string_view rest = std::string_view(token).substr(kContinuationPrefix.size());
      continuations_.emplace(std::string(rest), static_cast<std::int32_t>(id));
      longest_continuation_ = std::max(longest_continuation_, rest.size());
      if (const std::size_t cp = single_bmp_char(rest); cp < kBmpSize) {
        bmp_continuation_ids_[cp] = static_cast<std::int32_t>(id);
      }
    }
  }
}

std::optional<std::int32_t> WordPiece::find_piece(std::string_view piece, bool continuation) const {
  if (const std::size_t cp = single_bmp_char(piece); cp < kBmpSize) {
    const std::int32_t id = (continuation ? bmp_continuation_ids_ : bmp_first_ids_)[cp];
    if (id == kNone) return std::nullopt;
    return id;
  }
  if (!continuation) return vocab_->find(piece);
  const auto it = continuations_.find(piece);
  if (it == continuations_.end()) return std::nullopt;
  return it->second;
}

void WordPiece::tokenize(std::string_view word, std::span<const std::uint32_t> char_starts,
                         std::vector<WordPieceToken>& out) const {
  const std::size_t n = char_starts.size() - 1;
  const std::size_t mark = out.size();
  const auto unknown_word = [&] {
    out.resize(mark);
    out.push_back({unk_id_, 0, n});
  };
  if (n > max_input_chars_per_word_) {
    unknown_word();
    return;
  }

  std::size_t start = 0;
  while (start < n) {
    const bool first = start == 0;
    const std::size_t longest = first ? longest_token_ : longest_continuation_;
    std::size_t end = n;
    while (end > start && char_starts[end] - char_starts[start] > longest) --end;
    bool found = false;
    for (; end > start; --end) {
      const std::string_view candidate = word.substr(char_starts[start], char_starts[end] - char_starts[start]);
      if (const auto id = find_piece(candidate, !first)) {
        out.push_back({*id, start, end});
        found = true;
        break;
      }
    }
    if (!found) {
      unknown_word();
      return;
    }
    start = end;
  }
}

}  // namespace uninlu::text
