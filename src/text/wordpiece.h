#pragma once
// The WordPiece model of Hugging Face `tokenizers`: greedy longest-match-first over the vocabulary,
// continuation pieces spelled with the "##" prefix. A word of more than max_input_chars_per_word
// characters, or one the vocabulary cannot cover completely, becomes a single unknown token for the whole word.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "text/vocab.h"

namespace uninlu::text {

// A vocabulary id for the characters [first, last) of a word.
struct WordPieceToken {
  std::int32_t id;
  std::size_t first;
  std::size_t last;
};

class WordPiece {
 public:
  // `unk_id`: the id of a word it cannot cover (the tokenizer's unk_token).
  WordPiece(std::shared_ptr<const Vocab> vocab, std::int32_t unk_id, std::size_t max_input_chars_per_word);

  // `word` is UTF-8; char_starts holds the byte offset of each of its characters plus word.size().
  // Appends the word's tokens to `out`.
  void tokenize(std::string_view word, std::span<const std::uint32_t> char_starts,
                std::vector<WordPieceToken>& out) const;

 private:
  std::optional<std::int32_t> find_piece(std::string_view piece, bool continuation) const;

  std::shared_ptr<const Vocab> vocab_;
  StringMap<std::int32_t> continuations_;  // "##xyz" tokens, keyed by "xyz": probed without concatenation
  // Ids of one-character BMP tokens by code point (-1: none), for word starts and "##" continuations:
  // Chinese text is mostly one-character words, and an array load beats a hash probe.
  std::vector<std::int32_t> bmp_first_ids_;
  std::vector<std::int32_t> bmp_continuation_ids_;
  std::int32_t unk_id_;
  std::size_t max_input_chars_per_word_;
  std::size_t longest_token_ = 0;          // in bytes: longer candidates cannot match, so are not probed
  std::size_t longest_continuation_ = 0;
};

}  // namespace uninlu::text
