#include "text/bert_pre_tokenizer.h"

#include "text/unicode_props.h"

namespace uninlu::text {

void bert_pre_tokenize(std::span<const NormalizedChar> chars, std::vector<WordSpan>& words) {
  const std::span<const std::uint8_t> flag_table = char_flag_table();
  std::size_t word_start = 0;
  const auto close_word = [&](std::size_t end) {
    if (end > word_start) words.push_back({word_start, end});
  };
  for (std::size_t i = 0; i < chars.size(); ++i) {
    const std::uint8_t flags = flag_table[chars[i].cp];
    if (flags & kWhitespace) {
      close_word(i);
      word_start = i + 1;
    } else if (flags & kPunctuation) {
      close_word(i);
      words.push_back({i, i + 1});
      word_start = i + 1;
    }
  }
  close_word(chars.size());
}

}  // namespace uninlu::text
