#include "core/utf8.h"

#include <utf8proc.h>

#include <algorithm>

#include "core/error.h"

namespace uninlu {

namespace {

// Returns the number of bytes consumed, or a negative value on malformed input.
utf8proc_ssize_t next_codepoint(std::string_view text, std::size_t pos, utf8proc_int32_t& cp) {
  return utf8proc_iterate(reinterpret_cast<const utf8proc_uint8_t*>(text.data() + pos),
                          static_cast<utf8proc_ssize_t>(text.size() - pos), &cp);
}

}  // namespace

std::u32string decode_utf8(std::string_view text, std::string_view what) {
  std::u32string out;
  out.reserve(text.size());
  std::size_t pos = 0;
  while (pos < text.size()) {
    utf8proc_int32_t cp = 0;
    const auto n = next_codepoint(text, pos, cp);
    if (n <= 0) {
      fail(ErrorKind::InvalidInput,
           std::string(what) + " is not valid UTF-8 (bad byte sequence at byte " + std::to_string(pos) + ")");
    }
    out.push_back(static_cast<char32_t>(cp));
    pos += static_cast<std::size_t>(n);
  }
  return out;
}

bool is_valid_utf8(std::string_view text) noexcept {
  std::size_t pos = 0;
  while (pos < text.size()) {
    utf8proc_int32_t cp = 0;
    const auto n = next_codepoint(text, pos, cp);
    if (n <= 0) return false;
    pos += static_cast<std::size_t>(n);
  }
  return true;
}

void append_utf8(std::string& out, char32_t cp) {
  utf8proc_uint8_t buf[4];
  const auto n = utf8proc_encode_char(static_cast<utf8proc_int32_t>(cp), buf);
  out.append(reinterpret_cast<const char*>(buf), static_cast<std::size_t>(n));
}

std::string encode_utf8(std::u32string_view cps) {
  std::string out;
  out.reserve(cps.size() * 3);
  for (char32_t cp : cps) append_utf8(out, cp);
  return out;
}

std::vector<std::size_t> codepoint_byte_offsets(std::string_view text) {
  std::vector<std::size_t> offsets;
  offsets.reserve(text.size() + 1);
  std::size_t pos = 0;
  while (pos < text.size()) {
    offsets.push_back(pos);
    utf8proc_int32_t cp = 0;
    const auto n = next_codepoint(text, pos, cp);
    if (n <= 0) fail(ErrorKind::InvalidInput, "text is not valid UTF-8");
    pos += static_cast<std::size_t>(n);
  }
  offsets.push_back(text.size());
  return offsets;
}

std::string slice_codepoints(std::string_view text, const std::vector<std::size_t>& byte_offsets, long begin,
                             long end) {
  const long n = static_cast<long>(byte_offsets.size()) - 1;
  // Python slice semantics for non-negative indices (the pipeline never produces negative ones).
  begin = std::clamp(begin, 0L, n);
  end = std::clamp(end, 0L, n);
  if (begin >= end) return {};
  const auto b = byte_offsets[static_cast<std::size_t>(begin)];
  const auto e = byte_offsets[static_cast<std::size_t>(end)];
  return std::string(text.substr(b, e - b));
}

}  // namespace uninlu
