#pragma once
// UTF-8 <-> code points. All user-visible offsets in uninlu are code-point offsets (Python str indices),
// because that is what the reference pipeline reports.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace uninlu {

// Decodes UTF-8; throws Error(InvalidInput) naming `what` and the byte position on malformed input
// (overlong forms, surrogates, truncated sequences, bytes above U+10FFFF).
std::u32string decode_utf8(std::string_view text, std::string_view what = "text");
bool is_valid_utf8(std::string_view text) noexcept;
void append_utf8(std::string& out, char32_t cp);
std::string encode_utf8(std::u32string_view cps);

// Byte offset of every code point of a valid UTF-8 string, plus one final entry equal to text.size().
std::vector<std::size_t> codepoint_byte_offsets(std::string_view text);

// Python's text[begin:end] on code-point indices of a string described by `byte_offsets`
// (from codepoint_byte_offsets): indices are clamped, and begin >= end gives "".
std::string slice_codepoints(std::string_view text, const std::vector<std::size_t>& byte_offsets,
                             long begin, long end);

}  // namespace uninlu
