#pragma once
// Per-code-point Unicode properties exactly as Hugging Face `tokenizers` (Rust) uses them in BertNormalizer
// and BertPreTokenizer. The data is utf8proc's (Unicode 15); hf_unicode_overrides.inc corrects the few
// hundred code points where the Rust crates behind `tokenizers` answer differently: their category
// tables (crate unicode_categories 0.1.1) are frozen at Unicode 8.0, the NFD tables (crate
// unicode-normalization-alignments) predate Unicode 13, and Rust's own lowercase tables are newer.
// tools/oracle/gen_unicode_overrides.sh regenerates the overrides; docs/tokenizer.md has the details.
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace uninlu::text {

enum CharFlag : std::uint8_t {
  kRemovedByClean = 1 << 0,    // dropped by clean_text: U+0000, U+FFFD, Cc/Cf/Co except \t \n \r
  kWhitespace = 1 << 1,        // mapped to ' ' by clean_text (and split on by the pre-tokenizer)
  kChinese = 1 << 2,           // a CJK ideograph that handle_chinese_chars surrounds with spaces
  kNonspacingMark = 1 << 3,    // category Mn: dropped by strip_accents after NFD
  kPunctuation = 1 << 4,       // ASCII punctuation or category P*: isolated by the pre-tokenizer
  kDecomposes = 1 << 5,        // NFD changes it
  kCombining = 1 << 6,         // canonical combining class != 0 (NFD reorders it)
  kLowercaseChanges = 1 << 7,  // lowercasing changes it
};

inline constexpr char32_t kMaxCodePoint = 0x10FFFF;
inline constexpr std::size_t kMaxMapping = 4;  // longest canonical decomposition / full lowercase

// Up to kMaxMapping code points (a decomposition or a lowercase mapping).
struct Mapping {
  std::array<char32_t, kMaxMapping> cps{};
  std::uint8_t size = 0;
};

// The tokenizer's view (utf8proc + overrides). `cp` must be <= kMaxCodePoint.
std::uint8_t char_flags(char32_t cp) noexcept;
// The flags of every code point, indexed by code point: hot loops fetch it once instead of calling
// char_flags per character.
std::span<const std::uint8_t> char_flag_table() noexcept;
std::uint8_t combining_class(char32_t cp) noexcept;
Mapping canonical_decomposition(char32_t cp) noexcept;  // full NFD of one code point
Mapping full_lowercase(char32_t cp) noexcept;           // Rust's char::to_lowercase

// The same properties from utf8proc alone, before the overrides: what the override generator compares
// with the Rust library (tests/text/unicode_dump_main.cc prints them).
namespace base {
enum class CleanClass : std::uint8_t { Kept = 0, Removed = 1, Whitespace = 2 };
CleanClass clean_class(char32_t cp) noexcept;
bool is_nonspacing_mark(char32_t cp) noexcept;
bool is_punctuation(char32_t cp) noexcept;
std::uint8_t combining_class(char32_t cp) noexcept;
Mapping canonical_decomposition(char32_t cp) noexcept;
Mapping full_lowercase(char32_t cp) noexcept;
}  // namespace base

bool is_chinese_char(char32_t cp) noexcept;

}  // namespace uninlu::text
