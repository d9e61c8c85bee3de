#include "text/vocab.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "core/error.h"

namespace uninlu {
namespace {

using ::testing::HasSubstr;

const std::string kVocabPath = UNINLU_SOURCE_DIR "/data/vocab/bert-base-chinese-vocab.txt";

// The Error a call throws (fails the test if it throws nothing or something else).
template <typename F>
Error error_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e;
  }
  ADD_FAILURE() << "expected an uninlu::Error";
  return Error(ErrorKind::Internal, "no error");
}

TEST(Vocab, LoadsBertBaseChinese) {
  const Vocab vocab = Vocab::load(kVocabPath);
  EXPECT_EQ(vocab.size(), 21128u);
  EXPECT_EQ(vocab.find("[PAD]"), 0);
  EXPECT_EQ(vocab.find("[UNK]"), 100);
  EXPECT_EQ(vocab.find("[CLS]"), 101);
  EXPECT_EQ(vocab.find("[SEP]"), 102);
  EXPECT_EQ(vocab.find("[MASK]"), 103);
  EXPECT_EQ(vocab.find("\u4e2d"), 704);  // 中
  EXPECT_EQ(vocab.token(21127), "##\U0001F60E");
  EXPECT_EQ(vocab.find("not-a-token"), std::nullopt);
}

TEST(Vocab, KeepsTheTwoLineSeparatorEntries) {
  // A reader that splits on U+2028 would see 21130 lines and shift every later id.
  const Vocab vocab = Vocab::load(kVocabPath);
  EXPECT_EQ(vocab.token(343), "\u2028");
  EXPECT_EQ(vocab.token(13502), "##\u2028");
  EXPECT_EQ(vocab.find("\u2028"), 343);
  EXPECT_EQ(vocab.find("##\u2028"), 13502);
}

constexpr const char* kSpecials = "[PAD]\n[UNK]\n[CLS]\n[SEP]\n";

TEST(Vocab, TrailingNewlineDoesNotAddAnEntry) {
  EXPECT_EQ(Vocab::from_string(std::string(kSpecials) + "a\n", "v").size(), 5u);
  EXPECT_EQ(Vocab::from_string(std::string(kSpecials) + "a", "v").size(), 5u);
}

TEST(Vocab, AcceptsCrlfLineEndings) {
  const Vocab vocab = Vocab::from_string("[PAD]\r\n[UNK]\r\n[CLS]\r\n[SEP]\r\nx\r\n", "v");
  EXPECT_EQ(vocab.size(), 5u);
  EXPECT_EQ(vocab.find("x"), 4);
  EXPECT_EQ(vocab.find("[UNK]"), 1);
}

TEST(Vocab, IdsAreLineNumbersAndAnEmptyLineIsAToken) {
  const Vocab vocab = Vocab::from_string("x\n\n[SEP]\n[CLS]\n[UNK]\n[PAD]\n", "v");
  EXPECT_EQ(vocab.find(""), 1);
  EXPECT_EQ(vocab.find("[SEP]"), 2);
  EXPECT_EQ(vocab.find("[CLS]"), 3);
  EXPECT_EQ(vocab.find("[UNK]"), 4);
  EXPECT_EQ(vocab.find("[PAD]"), 5);
}

TEST(Vocab, MissingFileNamesThePath) {
  const Error e = error_of([] { Vocab::load("/nonexistent/vocab.txt"); });
  EXPECT_EQ(e.kind(), ErrorKind::ModelLoad);
  EXPECT_THAT(e.what(), HasSubstr("/nonexistent/vocab.txt"));
}

TEST(Vocab, RejectsAnEmptyFile) {
  const Error e = error_of([] { Vocab::from_string("", "empty.txt"); });
  EXPECT_EQ(e.kind(), ErrorKind::ModelLoad);
  EXPECT_THAT(e.what(), HasSubstr("empty.txt"));
  EXPECT_THAT(e.what(), HasSubstr("empty"));
}

TEST(Vocab, RejectsInvalidUtf8WithTheLine) {
  const Error e = error_of([] { Vocab::from_string(std::string(kSpecials) + "ok\nbad\xC3\n", "v.txt"); });
  EXPECT_EQ(e.kind(), ErrorKind::ModelLoad);
  EXPECT_THAT(e.what(), HasSubstr("v.txt"));
  EXPECT_THAT(e.what(), HasSubstr("line 6 is not valid UTF-8"));
}

TEST(Vocab, RejectsADuplicateNamingBothLines) {
  const Error e = error_of([] { Vocab::from_string(std::string(kSpecials) + "x\ny\nx\n", "v.txt"); });
  EXPECT_EQ(e.kind(), ErrorKind::ModelLoad);
  EXPECT_THAT(e.what(), HasSubstr("line 7 repeats the token \"x\" of line 5"));
}

TEST(Vocab, SpecialTokensAreTheTokenizersBusiness) {
  // Their names are configurable (tokenizer_config.json), so BertTokenizer checks them, not Vocab.
  EXPECT_EQ(Vocab::from_string("<pad>\n<unk>\nx\n", "v.txt").size(), 3u);
}

TEST(Vocab, RejectsAByteOrderMark) {
  const Error e = error_of([] { Vocab::from_string("\xEF\xBB\xBF" + std::string(kSpecials), "v.txt"); });
  EXPECT_EQ(e.kind(), ErrorKind::ModelLoad);
  EXPECT_THAT(e.what(), HasSubstr("byte-order mark"));
}

TEST(Vocab, RejectsABareCarriageReturn) {
  const Error e = error_of([] { Vocab::from_string(std::string(kSpecials) + "a\rb\n", "v.txt"); });
  EXPECT_EQ(e.kind(), ErrorKind::ModelLoad);
  EXPECT_THAT(e.what(), HasSubstr("line 5 contains a carriage return"));
}

}  // namespace
}  // namespace uninlu
