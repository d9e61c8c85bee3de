#include "text/bert_tokenizer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <string_view>

#include "core/error.h"

namespace uninlu {
namespace {

using namespace std::literals;

const BertTokenizer& tokenizer() {
  static const BertTokenizer instance(
      std::make_shared<const Vocab>(Vocab::load(UNINLU_SOURCE_DIR "/data/vocab/bert-base-chinese-vocab.txt")));
  return instance;
}

// "token(begin,end)" per token, e.g. "[CLS](0,0) cafe(0,4) [SEP](0,0)". The expectations below are the
// Rust tokenizers library's output for the same strings.
std::string render(const Encoding& enc) {
  std::string out;
  for (std::size_t i = 0; i < enc.size(); ++i) {
    if (i) out += ' ';
    out += tokenizer().vocab().token(enc.ids[i]) + '(' + std::to_string(enc.offsets[i].first) + ',' +
           std::to_string(enc.offsets[i].second) + ')';
  }
  return out;
}

std::string tokens(std::string_view text) { return render(tokenizer().encode(text)); }

TEST(BertTokenizer, AccentsPrecomposedAndDecomposed) {
  EXPECT_EQ(tokens("Caf\u00e9"), "[CLS](0,0) cafe(0,4) [SEP](0,0)");
  EXPECT_EQ(tokens("Cafe\u0301"), "[CLS](0,0) cafe(0,4) [SEP](0,0)");  // the trailing mark is outside
  EXPECT_EQ(tokens("na\u00efve"), "[CLS](0,0) na(0,2) ##ive(2,5) [SEP](0,0)");
  EXPECT_EQ(tokens("nai\u0308ve"), "[CLS](0,0) na(0,2) ##ive(2,6) [SEP](0,0)");  // an inner mark is inside
  EXPECT_EQ(tokens("e\u0301e\u0301e\u0301"), "[CLS](0,0) ee(0,3) ##e(4,5) [SEP](0,0)");
  EXPECT_EQ(tokens("\u0130stanbul"), "[CLS](0,0) is(0,2) ##tan(2,5) ##bu(5,7) ##l(7,8) [SEP](0,0)");
}

TEST(BertTokenizer, ChineseCharactersAreTokensOfTheirOwn) {
  EXPECT_EQ(tokens("1944\u5e74\u6bd5\u4e1a\u4e8e\u5317\u5927"),  // 1944年毕业于北大
            "[CLS](0,0) 1944(0,4) \u5e74(4,5) \u6bd5(5,6) \u4e1a(6,7) \u4e8e(7,8) \u5317(8,9) \u5927(9,10) [SEP](0,0)");
  EXPECT_EQ(tokens("\u4e2d\u6587abc"), "[CLS](0,0) \u4e2d(0,1) \u6587(1,2) abc(2,5) [SEP](0,0)");
  EXPECT_EQ(tokens("\U00020000\U00020001"), "[CLS](0,0) [UNK](0,1) [UNK](1,2) [SEP](0,0)");  // extension B
  EXPECT_EQ(tokens("\u300c\u4f60\u597d\u300d"), "[CLS](0,0) \u300c(0,1) \u4f60(1,2) \u597d(2,3) \u300d(3,4) [SEP](0,0)");
}

TEST(BertTokenizer, KanaHangulAndFullWidth) {
  EXPECT_EQ(tokens("\u304c"), "[CLS](0,0) \u304b(0,1) [SEP](0,0)");  // が -> か
  EXPECT_EQ(tokens("\uff21"), "[CLS](0,0) \uff41(0,1) [SEP](0,0)");  // Ａ -> ａ
  // 한국어: jamo after NFD; pieces of one syllable share its offsets.
  EXPECT_EQ(tokens("\ud55c\uad6d\uc5b4"),
            "[CLS](0,0) \u1112(0,1) ##\u1161(0,1) ##\u11ab(0,1) ##\u1100(1,2) ##\u116e(1,2) ##\u11a8(1,2) "
            "##\u110b(2,3) ##\u1165(2,3) [SEP](0,0)");
}

TEST(BertTokenizer, EmojiAreUnknownWords) {
  EXPECT_EQ(tokens("\U0001F600"), "[CLS](0,0) [UNK](0,1) [SEP](0,0)");
  EXPECT_EQ(tokens("a\U0001F600b"), "[CLS](0,0) [UNK](0,3) [SEP](0,0)");
  EXPECT_EQ(tokens("\U0001F468\u200d\U0001F469\u200d\U0001F467"), "[CLS](0,0) [UNK](0,5) [SEP](0,0)");  // ZWJ family
  EXPECT_EQ(tokens("\U0001F44D\U0001F3FD"), "[CLS](0,0) [UNK](0,2) [SEP](0,0)");  // skin tone
}

TEST(BertTokenizer, ControlAndZeroWidthCharactersVanish) {
  EXPECT_EQ(tokens("a\u200bb"), "[CLS](0,0) ab(0,3) [SEP](0,0)");
  EXPECT_EQ(tokens("a\0b"sv), "[CLS](0,0) ab(0,3) [SEP](0,0)");
  EXPECT_EQ(tokens("\u200b\u200b" "ab"), "[CLS](0,0) ab(2,4) [SEP](0,0)");  // leading ones are outside
  EXPECT_EQ(tokens("\x0bx\x0cy\u0085z"), "[CLS](0,0) xyz(1,6) [SEP](0,0)");
}

TEST(BertTokenizer, WhitespaceVariantsSeparateWords) {
  EXPECT_EQ(tokens("x\u3000y\u00a0z\u2028w\u2029v\tu\nt\rs"),
            "[CLS](0,0) x(0,1) y(2,3) z(4,5) w(6,7) v(8,9) u(10,11) t(12,13) s(14,15) [SEP](0,0)");
  EXPECT_EQ(tokens("hello, world!"), "[CLS](0,0) hello(0,5) ,(5,6) world(7,12) !(12,13) [SEP](0,0)");
  EXPECT_EQ(tokens("\uffe5100\u00d72\u00b0"), "[CLS](0,0) \uffe5(0,1) ##100(1,4) ##\u00d7(4,5) ##2(5,6) ##\u00b0(6,7) [SEP](0,0)");
}

TEST(BertTokenizer, EmptyAndBlankTexts) {
  EXPECT_EQ(tokens(""), "[CLS](0,0) [SEP](0,0)");
  EXPECT_EQ(tokens(" \t\u3000\u200b"), "[CLS](0,0) [SEP](0,0)");
  EXPECT_EQ(render(tokenizer().encode("", false)), "");
  EXPECT_EQ(render(tokenizer().encode("ab", false)), "ab(0,2)");
}

TEST(BertTokenizer, LongWordsBecomeOneUnknown) {
  const Encoding hundred = tokenizer().encode(std::string(100, 'a'));
  EXPECT_EQ(hundred.size(), 52u);  // exactly 100 characters are still split into pieces
  EXPECT_EQ(render(tokenizer().encode(std::string(101, 'a'))), "[CLS](0,0) [UNK](0,101) [SEP](0,0)");
  EXPECT_EQ(render(tokenizer().encode("x " + std::string(101, 'a') + " y")),
            "[CLS](0,0) x(0,1) [UNK](2,103) y(104,105) [SEP](0,0)");
  // The limit applies to the normalized word: 100 'a' + U+0301 pairs are 100 characters after stripping.
  std::string accented;
  for (int i = 0; i < 100; ++i) accented += "a\u0301";
  EXPECT_EQ(tokenizer().encode(accented).size(), 52u);
}

TEST(BertTokenizer, SpecialTokensInTheTextAreMatchedRaw) {
  EXPECT_EQ(tokens("a[SEP]b"), "[CLS](0,0) a(0,1) [SEP](1,6) b(6,7) [SEP](0,0)");
  EXPECT_EQ(tokens("\u6211[MASK]\u4f60"), "[CLS](0,0) \u6211(0,1) [MASK](1,7) \u4f60(7,8) [SEP](0,0)");
  EXPECT_EQ(tokens("[CLS]"), "[CLS](0,0) [CLS](0,5) [SEP](0,0)");
  EXPECT_EQ(tokens("[cls]"), "[CLS](0,0) [(0,1) cl(1,3) ##s(3,4) ](4,5) [SEP](0,0)");  // case-sensitive
  EXPECT_EQ(tokens("[unused1]"), "[CLS](0,0) [(0,1) u(1,2) ##nus(2,5) ##ed(5,7) ##1(7,8) ](8,9) [SEP](0,0)");
}

TEST(BertTokenizer, GreekCapitalSigmaLowercasesWithoutFinalForm) {
  EXPECT_EQ(tokens("\u03a3\u0391\u03a3"), "[CLS](0,0) \u03c3(0,1) ##\u03b1(1,2) ##\u03c3(2,3) [SEP](0,0)");
}

TEST(BertTokenizer, OffsetsMatchTheReferenceSpans) {
  // The spec's example: 谷口清太郎 is [18, 23) and each character is one token.
  const std::string text =
      "1944\u5e74\u6bd5\u4e1a\u4e8e\u5317\u5927\u7684\u540d\u53e4\u5c4b\u94c1\u9053\u4f1a\u957f\u8c37\u53e3\u6e05\u592a"
      "\u90ce\u7b49\u4eba\u5728\u65e5\u672c";
  const Encoding enc = tokenizer().encode(text);
  // [CLS], "1944" covers 0-4, then one token per character: character 18 is token 16.
  EXPECT_EQ(enc.offsets[16], (std::pair<std::int32_t, std::int32_t>{18, 19}));
  EXPECT_EQ(enc.offsets[20], (std::pair<std::int32_t, std::int32_t>{22, 23}));
  EXPECT_EQ(tokenizer().vocab().token(enc.ids[16]), "\u8c37");
}

TEST(BertTokenizer, TruncationKeepsClsTheFirstTokensAndSep) {
  std::string text;
  for (int i = 0; i < 200; ++i) text += "\u4e2d";
  const Encoding full = tokenizer().encode(text);
  ASSERT_EQ(full.size(), 202u);
  const Encoding cut = tokenizer().encode_truncated(text, 128);
  ASSERT_EQ(cut.size(), 128u);
  EXPECT_EQ(cut.ids.front(), 101);
  EXPECT_EQ(cut.ids.back(), 102);
  EXPECT_EQ(cut.offsets.back(), (std::pair<std::int32_t, std::int32_t>{0, 0}));
  EXPECT_EQ(cut.offsets[126], (std::pair<std::int32_t, std::int32_t>{125, 126}));
  EXPECT_EQ(render(tokenizer().encode_truncated("ab cd", 3)), "[CLS](0,0) ab(0,2) [SEP](0,0)");
  EXPECT_EQ(render(tokenizer().encode_truncated("ab cd", 2)), "[CLS](0,0) [SEP](0,0)");
  EXPECT_EQ(render(tokenizer().encode_truncated("ab cd", 128)), tokens("ab cd"));  // short texts unchanged
  EXPECT_THROW(tokenizer().encode_truncated("ab", 1), Error);
}

TEST(BertTokenizer, RejectsInvalidUtf8) {
  try {
    tokenizer().encode("ok\xC3");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::InvalidInput);
    EXPECT_THAT(e.what(), ::testing::HasSubstr("not valid UTF-8"));
  }
  EXPECT_THROW(tokenizer().encode("\xED\xA0\x80"), Error);  // an encoded surrogate
}

TEST(BertTokenizer, OptionsWithoutLowercaseKeepCaseAndAccents) {
  const BertTokenizer cased(
      std::make_shared<const Vocab>(Vocab::load(UNINLU_SOURCE_DIR "/data/vocab/bert-base-chinese-vocab.txt")),
      TokenizerSettings{.do_lower_case = false});
  // The vocabulary is lowercase: "A" is unknown unless lowercased, "\u00e9" is unknown unless stripped.
  EXPECT_EQ(render(cased.encode("A \u00e9")), "[CLS](0,0) [UNK](0,1) [UNK](2,3) [SEP](0,0)");
  EXPECT_EQ(tokens("A \u00e9"), "[CLS](0,0) a(0,1) e(2,3) [SEP](0,0)");
}

}  // namespace
}  // namespace uninlu
