#include "text/wordpiece.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "core/utf8.h"

namespace uninlu::text {
namespace {

std::shared_ptr<const Vocab> tiny_vocab() {
  return std::make_shared<const Vocab>(
      Vocab::from_string("[PAD]\n[UNK]\n[CLS]\n[SEP]\nun\n##aff\n##able\na\n##a\naa\n##\u00e9\n\u4e2d\n", "tiny"));
}

// "id:first-last" per token.
std::string tokenize(const WordPiece& model, const std::string& word) {
  std::vector<std::uint32_t> starts;
  const auto offsets = codepoint_byte_offsets(word);
  for (auto o : offsets) starts.push_back(static_cast<std::uint32_t>(o));
  std::vector<WordPieceToken> out;
  model.tokenize(word, starts, out);
  std::string s;
  for (const auto& t : out) {
    if (!s.empty()) s += ' ';
    s += std::to_string(t.id) + ':' + std::to_string(t.first) + '-' + std::to_string(t.last);
  }
  return s;
}

TEST(WordPiece, GreedyLongestMatchFirst) {
  const WordPiece model(tiny_vocab(), 1, 100);
  EXPECT_EQ(tokenize(model, "unaffable"), "4:0-2 5:2-5 6:5-9");
  EXPECT_EQ(tokenize(model, "aaa"), "9:0-2 8:2-3");  // "aa" before "a"
  EXPECT_EQ(tokenize(model, "a\u00e9"), "7:0-1 10:1-2");
  EXPECT_EQ(tokenize(model, "\u4e2d"), "11:0-1");
}

TEST(WordPiece, AWordThatCannotBeCoveredIsOneUnknown) {
  const WordPiece model(tiny_vocab(), 1, 100);
  EXPECT_EQ(tokenize(model, "unaffablex"), "1:0-10");
  EXPECT_EQ(tokenize(model, "affable"), "1:0-7");  // "##aff" cannot start a word
  EXPECT_EQ(tokenize(model, "\u00e9"), "1:0-1");
}

TEST(WordPiece, LongWordsAreUnknownPastTheLimit) {
  const WordPiece model(tiny_vocab(), 1, 4);
  EXPECT_EQ(tokenize(model, "aaaa"), "9:0-2 8:2-3 8:3-4");  // exactly the limit: tokenized
  EXPECT_EQ(tokenize(model, "aaaaa"), "1:0-5");       // one more: [UNK] for the whole word
  EXPECT_EQ(tokenize(model, "a\u00e9a\u00e9"), "7:0-1 10:1-2 8:2-3 10:3-4");  // 4 characters (6 bytes)
}

}  // namespace
}  // namespace uninlu::text
