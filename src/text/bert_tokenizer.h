#pragma once
// BertTokenizerFast semantics (Hugging Face `tokenizers`: added tokens, BertNormalizer, BertPreTokenizer,
// WordPiece) with offsets in code points of the original text, configured by a model directory's
// tokenizer files (TokenizerSettings). docs/tokenizer.md defines the offsets and lists the settings.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "text/bert_normalizer.h"
#include "text/tokenizer_settings.h"
#include "text/vocab.h"
#include "text/wordpiece.h"

namespace uninlu {

struct Encoding {
  std::vector<std::int32_t> ids;
  // [begin, end) in code points of the original text; (0, 0) for the [CLS] and [SEP] that encode adds.
  std::vector<std::pair<std::int32_t, std::int32_t>> offsets;
  std::size_t size() const noexcept { return ids.size(); }
};

class BertTokenizer {
 public:
  // Throws Error(ModelLoad) naming the token when the vocabulary lacks unk_token (WordPiece needs it in
  // vocab.txt), or vocab.txt and the added tokens lack cls_token, sep_token, pad_token or a configured
  // mask_token, or an added token's id disagrees with the id transformers would give it.
  explicit BertTokenizer(std::shared_ptr<const Vocab> vocab, const TokenizerSettings& settings = {},
                         std::size_t max_input_chars_per_word = 100);

  // `text` must be valid UTF-8 (throws Error(InvalidInput) otherwise). With add_special_tokens the
  // result is cls_token tokens... sep_token, never truncated.
  Encoding encode(std::string_view text, bool add_special_tokens = true) const;
  // Encodes and truncates to at most max_length tokens including [CLS]/[SEP] (the hint path:
  // truncation=True, max_length=128 keeps [CLS] + the first max_length-2 tokens + [SEP]).
  Encoding encode_truncated(std::string_view text, std::size_t max_length) const;

  const Vocab& vocab() const noexcept { return *vocab_; }
  const TokenizerSettings& settings() const noexcept { return settings_; }
  std::int32_t cls_id() const noexcept { return cls_id_; }
  std::int32_t sep_id() const noexcept { return sep_id_; }
  std::int32_t pad_id() const noexcept { return pad_id_; }
  std::int32_t unk_id() const noexcept { return unk_id_; }
  // Every id encode() can give is below this: vocab.txt's size plus the added tokens it lacks.
  std::size_t id_count() const noexcept { return id_count_; }

 private:
  // A token matched before WordPiece (Hugging Face's AddedVocabulary): leftmost-longest, in the raw text
  // for normalized=false tokens (the special ones), in the normalized text for normalized=true ones.
  struct AddedToken {
    std::u32string content;
    std::int32_t id;
  };
  class Matcher {
   public:
    void add(std::u32string content, std::int32_t id);
    void finish();  // sorts longest first, for leftmost-longest matching
    bool empty() const noexcept { return tokens_.empty(); }
    // The longest token that starts at text[pos], or null.
    const AddedToken* match_at(std::u32string_view text, std::size_t pos) const;

   private:
    std::vector<AddedToken> tokens_;
    std::vector<bool> first_cps_;  // indexed by code point: some token starts with it
  };

  struct Scratch;  // buffers reused across the segments and words of one encode() call
  void encode_segment(std::u32string_view segment, std::int32_t origin, Scratch& s, Encoding& out) const;
  void encode_words(std::size_t first, std::size_t last, Scratch& s, Encoding& out) const;

  std::shared_ptr<const Vocab> vocab_;
  TokenizerSettings settings_;
  text::BertNormalizer normalizer_;
  std::shared_ptr<const text::WordPiece> wordpiece_;
  Matcher raw_tokens_;
  Matcher normalized_tokens_;
  std::int32_t cls_id_ = 0, sep_id_ = 0, pad_id_ = 0, unk_id_ = 0;
  std::size_t id_count_ = 0;
};

}  // namespace uninlu
