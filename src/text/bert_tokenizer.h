#pragma once
// BertTokenizerFast semantics (Hugging Face `tokenizers`, BertNormalizer + BertPreTokenizer + WordPiece,
// lowercase) with offsets in code points of the original text. docs/tokenizer.md defines the offsets.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "text/bert_normalizer.h"
#include "text/vocab.h"
#include "text/wordpiece.h"

namespace uninlu {

struct Encoding {
  std::vector<std::int32_t> ids;
  // [begin, end) in code points of the original text; (0, 0) for [CLS], [SEP] and padding.
  std::vector<std::pair<std::int32_t, std::int32_t>> offsets;
  std::size_t size() const noexcept { return ids.size(); }
};

struct TokenizerOptions {
  bool lowercase = true;           // also strips accents, as BertNormalizer does when lowercasing
  bool tokenize_chinese_chars = true;
  std::size_t max_input_chars_per_word = 100;
};

class BertTokenizer {
 public:
  explicit BertTokenizer(std::shared_ptr<const Vocab> vocab, TokenizerOptions options = {});

  // `text` must be valid UTF-8 (throws Error(InvalidInput) otherwise). With add_special_tokens the
  // result is [CLS] tokens... [SEP], never truncated.
  Encoding encode(std::string_view text, bool add_special_tokens = true) const;
  // Encodes and truncates to at most max_length tokens including [CLS]/[SEP] (the hint path:
  // truncation=True, max_length=128 keeps [CLS] + the first max_length-2 tokens + [SEP]).
  Encoding encode_truncated(std::string_view text, std::size_t max_length) const;

  const Vocab& vocab() const noexcept { return *vocab_; }

 private:
  // A special token matched in the raw text before normalization, as transformers registers them
  // (AddedToken with normalized=False): "a[SEP]b" encodes [SEP] as id 102, "[sep]" does not match.
  struct AddedToken {
    std::u32string content;
    std::int32_t id;
  };

  std::shared_ptr<const Vocab> vocab_;
  TokenizerOptions options_;
  text::BertNormalizer normalizer_;
  std::shared_ptr<const text::WordPiece> wordpiece_;
  std::vector<AddedToken> added_tokens_;  // longest first, for leftmost-longest matching
};

}  // namespace uninlu
