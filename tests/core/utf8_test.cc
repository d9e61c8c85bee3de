#include "core/utf8.h"

#include <gtest/gtest.h>

#include "core/error.h"

namespace uninlu {
namespace {

TEST(Utf8, DecodesMixedScripts) {
  EXPECT_EQ(decode_utf8("a\xC3\xA9\xE4\xB8\xAD\xF0\x9F\x98\x8E"), std::u32string(U"a\u00e9\u4e2d\U0001F60E"));
}

TEST(Utf8, RejectsMalformedInputWithPosition) {
  EXPECT_FALSE(is_valid_utf8("ab\xC3"));
  EXPECT_FALSE(is_valid_utf8("\xED\xA0\x80"));  // an encoded surrogate
  EXPECT_FALSE(is_valid_utf8("\xC0\xAF"));      // overlong '/'
  try {
    decode_utf8("ab\xFF", "schema key");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::InvalidInput);
    EXPECT_NE(std::string(e.what()).find("schema key is not valid UTF-8"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("byte 2"), std::string::npos);
  }
}

TEST(Utf8, SlicesLikePython) {
  const std::string text = "\xE4\xB8\xAD" "ab\xF0\x9F\x98\x8E";  // 中ab😎
  const auto offsets = codepoint_byte_offsets(text);
  ASSERT_EQ(offsets.size(), 5u);
  EXPECT_EQ(slice_codepoints(text, offsets, 0, 1), "\xE4\xB8\xAD");
  EXPECT_EQ(slice_codepoints(text, offsets, 1, 4), "ab\xF0\x9F\x98\x8E");
  EXPECT_EQ(slice_codepoints(text, offsets, 3, 0), "");   // begin > end: empty, as text[3:0]
  EXPECT_EQ(slice_codepoints(text, offsets, 2, 99), "b\xF0\x9F\x98\x8E");  // clamped
}

TEST(Utf8, EncodeRoundTrips) {
  const std::u32string cps = U"x\u2028\U00020000";
  EXPECT_EQ(decode_utf8(encode_utf8(cps)), cps);
}

}  // namespace
}  // namespace uninlu
