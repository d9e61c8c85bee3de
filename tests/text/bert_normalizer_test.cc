#include "text/bert_normalizer.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "core/utf8.h"
#include "text/bert_pre_tokenizer.h"

namespace uninlu::text {
namespace {

using namespace std::literals;

std::vector<NormalizedChar> normalize(std::string_view utf8, NormalizerOptions options = {}) {
  std::vector<NormalizedChar> out;
  BertNormalizer(options).normalize(decode_utf8(utf8), 0, out);
  return out;
}

std::string text_of(const std::vector<NormalizedChar>& chars) {
  std::string out;
  for (const auto& c : chars) append_utf8(out, c.cp);
  return out;
}

// "c@begin-end" per character, for compact expectations.
std::string alignment_of(const std::vector<NormalizedChar>& chars) {
  std::string out;
  for (const auto& c : chars) {
    if (!out.empty()) out += ' ';
    append_utf8(out, c.cp);
    out += '@' + std::to_string(c.begin) + '-' + std::to_string(c.end);
  }
  return out;
}

std::vector<std::string> words_of(std::string_view utf8) {
  const auto chars = normalize(utf8);
  std::vector<WordSpan> spans;
  bert_pre_tokenize(chars, spans);
  std::vector<std::string> words;
  for (const auto& w : spans) {
    words.push_back(text_of(std::vector<NormalizedChar>(chars.begin() + static_cast<std::ptrdiff_t>(w.first),
                                                        chars.begin() + static_cast<std::ptrdiff_t>(w.last))));
  }
  return words;
}

TEST(BertNormalizer, LowercasesAndStripsAccents) {
  EXPECT_EQ(text_of(normalize("Caf\u00e9 NA\u00cfVE")), "cafe naive");
  EXPECT_EQ(text_of(normalize("\u0130stanbul")), "istanbul");  // NFD first: the dot above is a stripped Mn
  EXPECT_EQ(text_of(normalize("\u03a3\u0391\u03a3")), "\u03c3\u03b1\u03c3");  // no final sigma
  EXPECT_EQ(text_of(normalize("\u304c")), "\u304b");  // が: the voicing mark is Mn
  EXPECT_EQ(text_of(normalize("\uff21\uff22")), "\uff41\uff42");  // full-width stays full-width
  EXPECT_EQ(text_of(normalize("\ud55c")), "\u1112\u1161\u11ab");  // 한 decomposes into jamo
}

TEST(BertNormalizer, OptionsTurnStepsOff) {
  EXPECT_EQ(text_of(normalize("Caf\u00e9", {.handle_chinese_chars = true, .strip_accents = false, .lowercase = false})),
            "Caf\u00e9");
  EXPECT_EQ(text_of(normalize("Caf\u00e9\u4e2d", {.handle_chinese_chars = false, .strip_accents = false, .lowercase = true})),
            "caf\u00e9\u4e2d");
}

TEST(BertNormalizer, CleansControlsAndWhitespace) {
  EXPECT_EQ(text_of(normalize("a\0b\ufffdc\u200bd\x7f"sv)), "abcd");
  EXPECT_EQ(text_of(normalize("a\tb\nc\rd\u3000e\u00a0f\u2028g\u2029h")), "a b c d e f g h");
  EXPECT_EQ(text_of(normalize("a\x0b" "b\x0c" "c\u0085d")), "abcd");  // control first: removed, not spaced
}

TEST(BertNormalizer, SurroundsCjkIdeographsWithSpaces) {
  EXPECT_EQ(text_of(normalize("ab\u4e2d\u6587cd")), "ab \u4e2d  \u6587 cd");
  EXPECT_EQ(text_of(normalize("\U00020000")), " \U00020000 ");  // extension B too
  EXPECT_EQ(text_of(normalize("\u3042\uac00")), "\u3042\u1100\u1161");  // kana and hangul are not
}

TEST(BertNormalizer, AlignsEveryCharacterWithItsOrigin) {
  EXPECT_EQ(alignment_of(normalize("Caf\u00e9")), "c@0-1 a@1-2 f@2-3 e@3-4");
  EXPECT_EQ(alignment_of(normalize("Cafe\u0301")), "c@0-1 a@1-2 f@2-3 e@3-4");  // the mark vanishes
  EXPECT_EQ(alignment_of(normalize("a\0\0b"sv)), "a@0-1 b@3-4");
  EXPECT_EQ(alignment_of(normalize("\ud55c")), "\u1112@0-1 \u1161@0-1 \u11ab@0-1");  // parts share the origin
}

TEST(BertNormalizer, AlignsReorderedMarksByPositionAsTheCrateDoes) {
  // U+302E (ccc 224, not Mn) moves before U+0301 (ccc 230); it takes the position of the first input
  // character, as NormalizedString::transform assigns alignments in order.
  EXPECT_EQ(alignment_of(normalize("\u0301\u302e")), "\u302e@0-1");
  EXPECT_EQ(alignment_of(normalize("x\u0301\u302e")), "x@0-1 \u302e@1-2");
}

TEST(BertNormalizer, AppliesTheOriginOffset) {
  std::vector<NormalizedChar> out;
  BertNormalizer().normalize(U"Ab", 7, out);
  EXPECT_EQ(alignment_of(out), "a@7-8 b@8-9");
}

TEST(BertPreTokenizer, SplitsOnWhitespaceAndIsolatesPunctuation) {
  EXPECT_EQ(words_of("Hello, world!!"), (std::vector<std::string>{"hello", ",", "world", "!", "!"}));
  EXPECT_EQ(words_of("  a\u3000\u3000b  "), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(words_of("\u4e2d\u6587abc"), (std::vector<std::string>{"\u4e2d", "\u6587", "abc"}));
  EXPECT_EQ(words_of("\u300c\u4f60\u300d\uff0c"), (std::vector<std::string>{"\u300c", "\u4f60", "\u300d", "\uff0c"}));
  EXPECT_EQ(words_of("\uffe5100\u00d72\u00b0"), (std::vector<std::string>{"\uffe5100\u00d72\u00b0"}));  // symbols
  EXPECT_EQ(words_of("a\u1fefb"), (std::vector<std::string>{"a", "`", "b"}));  // NFD makes U+1FEF a backquote
  EXPECT_TRUE(words_of(" \t\u200b ").empty());
  EXPECT_TRUE(words_of("").empty());
}

}  // namespace
}  // namespace uninlu::text
