#pragma once
// The BertPreTokenizer of Hugging Face `tokenizers`: split the normalized text on whitespace (dropped)
// and make every punctuation character (ASCII 33-47, 58-64, 91-96, 123-126 and Unicode P*) a word of its
// own. Symbols such as ￥ × ° are not punctuation.
#include <cstddef>
#include <span>
#include <vector>

#include "text/bert_normalizer.h"

namespace uninlu::text {

// Normalized characters [first, last) of one word.
struct WordSpan {
  std::size_t first;
  std::size_t last;
};

void bert_pre_tokenize(std::span<const NormalizedChar> chars, std::vector<WordSpan>& words);

}  // namespace uninlu::text
