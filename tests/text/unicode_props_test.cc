#include "text/unicode_props.h"

#include <gtest/gtest.h>

#include <vector>

namespace uninlu::text {
namespace {

bool has(char32_t cp, CharFlag flag) { return (char_flags(cp) & flag) != 0; }

std::vector<char32_t> cps(const Mapping& m) { return {m.cps.begin(), m.cps.begin() + m.size}; }

TEST(UnicodeProps, CleanTextRemovesControlFormatAndPrivateUse) {
  for (char32_t cp : {U'\0', U'\x01', U'\x7f', U'\x0b', U'\x0c', U'\x85', U'\u00ad', U'\u200b', U'\u200d', U'\u2060',
                      U'\ufeff', U'\ufffd', U'\ue000', U'\U000F0000', U'\U000E0001'}) {
    EXPECT_TRUE(has(cp, kRemovedByClean)) << std::hex << static_cast<unsigned>(cp);
  }
  // Unassigned code points (Cn) and noncharacters are kept, unlike Python's slow BertTokenizer.
  for (char32_t cp : {U'a', U'\u0378', U'\ufffe', U'\uffff', U'\U0001FFFF', U'\U0010FFFF'}) {
    EXPECT_FALSE(has(cp, kRemovedByClean)) << std::hex << static_cast<unsigned>(cp);
  }
}

TEST(UnicodeProps, WhitespaceIsUnicodeWhiteSpaceOutsideTheControls) {
  for (char32_t cp : {U' ', U'\t', U'\n', U'\r', U'\u00a0', U'\u1680', U'\u2000', U'\u200a', U'\u2028', U'\u2029',
                      U'\u202f', U'\u205f', U'\u3000'}) {
    EXPECT_TRUE(has(cp, kWhitespace)) << std::hex << static_cast<unsigned>(cp);
    EXPECT_FALSE(has(cp, kRemovedByClean));
  }
  // U+000B, U+000C and U+0085 are White_Space but also Cc: clean_text removes them first.
  for (char32_t cp : {U'\x0b', U'\x0c', U'\x85', U'\u180e', U'\u200b', U'\x1c'}) {
    EXPECT_FALSE(has(cp, kWhitespace)) << std::hex << static_cast<unsigned>(cp);
  }
}

TEST(UnicodeProps, PunctuationIsAsciiPunctuationOrCategoryP) {
  for (char32_t cp : {U'!', U'/', U':', U'@', U'[', U'`', U'{', U'~', U'$', U'^', U'\uff0c', U'\u3002', U'\u300c', U'\u2014',
                      U'\u00bf'}) {
    EXPECT_TRUE(has(cp, kPunctuation)) << std::hex << static_cast<unsigned>(cp);
  }
  for (char32_t cp : {U'\uffe5', U'\u00d7', U'\u00b0', U'\u00a9', U'a', U'\u4e2d'}) {  // ￥ × ° © are symbols
    EXPECT_FALSE(has(cp, kPunctuation)) << std::hex << static_cast<unsigned>(cp);
  }
}

TEST(UnicodeProps, FollowsTheRustLibrarysUnicode8Categories) {
  // U+166D was Po in Unicode 8.0 (So since 12.0); U+2E43 (Unicode 10) and U+061D (14) are Po now but
  // unknown to the crate's tables, and so are U+08D4 (Mn, 9.0) and U+08E2 (Cf, 9.0).
  EXPECT_TRUE(has(U'\u166d', kPunctuation));
  EXPECT_FALSE(has(U'\u2e43', kPunctuation));
  EXPECT_FALSE(has(U'\u061d', kPunctuation));
  EXPECT_FALSE(has(U'\u08d4', kNonspacingMark));
  EXPECT_FALSE(has(U'\u08e2', kRemovedByClean));
  EXPECT_TRUE(has(U'\u0301', kNonspacingMark));
  EXPECT_TRUE(has(U'\u3099', kNonspacingMark));
  EXPECT_FALSE(has(U'\u0903', kNonspacingMark));  // Mc stays
}

TEST(UnicodeProps, ChineseCharsAreTheCjkIdeographBlocks) {
  for (char32_t cp : {U'\u4e00', U'\u9fff', U'\u3400', U'\uf900', U'\U00020000', U'\U0002A6DF', U'\U0002F800'}) {
    EXPECT_TRUE(is_chinese_char(cp)) << std::hex << static_cast<unsigned>(cp);
  }
  for (char32_t cp : {U'\u3042', U'\u30a2', U'\uac00', U'\uff21', U'\u3007', U'\u2f00', U'\U00030000', U'\U0002B820'}) {
    EXPECT_FALSE(is_chinese_char(cp)) << std::hex << static_cast<unsigned>(cp);
  }
}

TEST(UnicodeProps, DecompositionIsFullCanonical) {
  EXPECT_EQ(cps(canonical_decomposition(U'\u00e9')), (std::vector<char32_t>{U'e', U'\u0301'}));
  EXPECT_EQ(cps(canonical_decomposition(U'\u1e69')), (std::vector<char32_t>{U's', U'\u0323', U'\u0307'}));
  EXPECT_EQ(cps(canonical_decomposition(U'\ud55c')), (std::vector<char32_t>{U'\u1112', U'\u1161', U'\u11ab'}));  // 한
  EXPECT_EQ(cps(canonical_decomposition(U'\uf900')), (std::vector<char32_t>{U'\u8c48'}));
  EXPECT_EQ(cps(canonical_decomposition(U'\uff21')), (std::vector<char32_t>{U'\uff21'}));  // compatibility only
  EXPECT_EQ(cps(canonical_decomposition(U'\U00011938')), (std::vector<char32_t>{U'\U00011938'}));  // too new for the crate
  EXPECT_EQ(cps(base::canonical_decomposition(U'\U00011938')), (std::vector<char32_t>{U'\U00011935', U'\U00011930'}));
}

TEST(UnicodeProps, LowercaseIsRustsFullMapping) {
  EXPECT_EQ(cps(full_lowercase(U'A')), (std::vector<char32_t>{U'a'}));
  EXPECT_EQ(cps(full_lowercase(U'\u0130')), (std::vector<char32_t>{U'i', U'\u0307'}));
  EXPECT_EQ(cps(full_lowercase(U'\u03a3')), (std::vector<char32_t>{U'\u03c3'}));  // no final-sigma rule per char
  EXPECT_EQ(cps(full_lowercase(U'\u1e9e')), (std::vector<char32_t>{U'\u00df'}));
  EXPECT_EQ(cps(full_lowercase(U'\uff21')), (std::vector<char32_t>{U'\uff41'}));
  EXPECT_TRUE(has(U'A', kLowercaseChanges));
  EXPECT_FALSE(has(U'a', kLowercaseChanges));
}

TEST(UnicodeProps, CombiningClass) {
  EXPECT_EQ(combining_class(U'\u0301'), 230);
  EXPECT_EQ(combining_class(U'\u0327'), 202);
  EXPECT_EQ(combining_class(U'a'), 0);
  EXPECT_TRUE(has(U'\u302e', kCombining));
  EXPECT_FALSE(has(U'\u302e', kNonspacingMark));
}

}  // namespace
}  // namespace uninlu::text
