#pragma once
// The BertNormalizer of Hugging Face `tokenizers`, tracking where every normalized character comes from.
// Steps, in the crate's order: clean_text (drop U+0000, U+FFFD and Cc/Cf/Co except \t \n \r; map
// whitespace to ' '), handle_chinese_chars (spaces around CJK ideographs), strip_accents (NFD, then drop
// Mn), lowercase (full mapping). Alignment follows the crate's NormalizedString: a kept or replaced
// character keeps the original position it stands on, a character added by a decomposition or a
// multi-character lowercase shares the position of the character before it, and removed characters
// vanish (so a token's offsets never start or end on one, but may enclose one).
#include <cstdint>
#include <string_view>
#include <vector>

namespace uninlu::text {

// One character of the normalized text and the original code points [begin, end) it stands for.
struct NormalizedChar {
  char32_t cp;
  std::int32_t begin;
  std::int32_t end;
};

struct NormalizerOptions {
  bool handle_chinese_chars = true;
  bool strip_accents = true;
  bool lowercase = true;
};

class BertNormalizer {
 public:
  explicit BertNormalizer(NormalizerOptions options = {}) : options_(options) {}

  // Appends the normalization of `text` to `out`; text[0] is code point `origin` of the original text.
  // `text` holds Unicode scalar values (as decode_utf8 returns), never anything above U+10FFFF.
  void normalize(std::u32string_view text, std::int32_t origin, std::vector<NormalizedChar>& out) const;

 private:
  NormalizerOptions options_;
};

}  // namespace uninlu::text
