#include "text/unicode_props.h"

#include <utf8proc.h>

#include <algorithm>
#include <limits>
#include <vector>

namespace uninlu::text {

namespace overrides {

// [first, last] takes `value` instead of utf8proc's answer.
struct ValueOverride {
  char32_t first;
  char32_t last;
  std::uint8_t value;
};

struct MappingOverride {
  char32_t cp;
  Mapping mapping;
};

// Defines kCleanClass, kNonspacingMark, kPunctuation, kCombiningClass (ValueOverride, sorted and
// disjoint) and kDecomposition, kLowercase (MappingOverride, sorted).
#include "text/hf_unicode_overrides.inc"

template <std::size_t N>
const ValueOverride* find(const std::array<ValueOverride, N>& table, char32_t cp) noexcept {
  const auto it = std::upper_bound(table.begin(), table.end(), cp,
                                   [](char32_t c, const ValueOverride& o) { return c < o.first; });
  if (it == table.begin()) return nullptr;
  const ValueOverride* o = &*(it - 1);
  return cp <= o->last ? o : nullptr;
}

template <std::size_t N>
const Mapping* find(const std::array<MappingOverride, N>& table, char32_t cp) noexcept {
  const auto it = std::lower_bound(table.begin(), table.end(), cp,
                                   [](const MappingOverride& o, char32_t c) { return o.cp < c; });
  return it != table.end() && it->cp == cp ? &it->mapping : nullptr;
}

}  // namespace overrides

namespace {

constexpr std::uint16_t kNoSequence = std::numeric_limits<std::uint16_t>::max();
constexpr char32_t kHangulFirst = 0xAC00, kHangulLast = 0xD7A3;

const utf8proc_property_t& property(char32_t cp) noexcept {
  return *utf8proc_get_property(static_cast<utf8proc_int32_t>(cp));
}

bool is_surrogate(char32_t cp) noexcept { return cp >= 0xD800 && cp <= 0xDFFF; }

Mapping single(char32_t cp) noexcept {
  Mapping m;
  m.cps[0] = cp;
  m.size = 1;
  return m;
}

bool is_identity(const Mapping& m, char32_t cp) noexcept { return m.size == 1 && m.cps[0] == cp; }

// Rust's char::is_whitespace is the Unicode White_Space property. utf8proc has no such property, but
// PropList.txt defines White_Space as exactly the Zs, Zl and Zp characters plus the controls U+0009..U+000D
// and U+0085 (stable since Unicode 6.3, when U+180E became Cf), so the category gives it.
bool is_white_space(char32_t cp) noexcept {
  if ((cp >= 0x09 && cp <= 0x0D) || cp == 0x85) return true;
  const auto category = property(cp).category;
  return category == UTF8PROC_CATEGORY_ZS || category == UTF8PROC_CATEGORY_ZL || category == UTF8PROC_CATEGORY_ZP;
}

bool is_ascii_punctuation(char32_t cp) noexcept {
  return (cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) || (cp >= 123 && cp <= 126);
}

std::uint8_t base_flags(char32_t cp) noexcept {
  std::uint8_t flags = 0;
  switch (base::clean_class(cp)) {
    case base::CleanClass::Removed: flags |= kRemovedByClean; break;
    case base::CleanClass::Whitespace: flags |= kWhitespace; break;
    case base::CleanClass::Kept: break;
  }
  if (is_chinese_char(cp)) flags |= kChinese;
  if (base::is_nonspacing_mark(cp)) flags |= kNonspacingMark;
  if (base::is_punctuation(cp)) flags |= kPunctuation;
  if (!is_identity(base::canonical_decomposition(cp), cp)) flags |= kDecomposes;
  if (base::combining_class(cp) != 0) flags |= kCombining;
  if (!is_identity(base::full_lowercase(cp), cp)) flags |= kLowercaseChanges;
  return flags;
}

void set_flag(std::vector<std::uint8_t>& table, char32_t cp, std::uint8_t flag, bool on) {
  auto& f = table[cp];
  f = static_cast<std::uint8_t>(on ? (f | flag) : (f & ~flag));
}

template <std::size_t N, typename Apply>
void for_each_override(const std::array<overrides::ValueOverride, N>& table, Apply apply) {
  for (const auto& o : table) {
    for (char32_t cp = o.first; cp <= o.last; ++cp) apply(cp, o.value);
  }
}

// One byte of flags per code point (1.1 MB), computed once: the tokenizer's hot loop then needs a single
// load per character instead of utf8proc lookups and override searches.
std::vector<std::uint8_t> build_flag_table() {
  std::vector<std::uint8_t> table(kMaxCodePoint + 1, 0);
  for (char32_t cp = 0; cp <= kMaxCodePoint; ++cp) {
    if (!is_surrogate(cp)) table[cp] = base_flags(cp);
  }
  for_each_override(overrides::kCleanClass, [&](char32_t cp, std::uint8_t value) {
    set_flag(table, cp, kRemovedByClean, value == static_cast<std::uint8_t>(base::CleanClass::Removed));
    set_flag(table, cp, kWhitespace, value == static_cast<std::uint8_t>(base::CleanClass::Whitespace));
  });
  for_each_override(overrides::kNonspacingMark,
                    [&](char32_t cp, std::uint8_t value) { set_flag(table, cp, kNonspacingMark, value != 0); });
  for_each_override(overrides::kPunctuation,
                    [&](char32_t cp, std::uint8_t value) { set_flag(table, cp, kPunctuation, value != 0); });
  for_each_override(overrides::kCombiningClass,
                    [&](char32_t cp, std::uint8_t value) { set_flag(table, cp, kCombining, value != 0); });
  for (const auto& o : overrides::kDecomposition) set_flag(table, o.cp, kDecomposes, !is_identity(o.mapping, o.cp));
  for (const auto& o : overrides::kLowercase) set_flag(table, o.cp, kLowercaseChanges, !is_identity(o.mapping, o.cp));
  return table;
}

const std::vector<std::uint8_t>& flag_table() {
  static const std::vector<std::uint8_t> table = build_flag_table();
  return table;
}

}  // namespace

bool is_chinese_char(char32_t cp) noexcept {
  // The ranges of tokenizers' bert.rs (the CJK Unified Ideographs blocks, extensions A-E and the
  // compatibility ideographs); kana, hangul and full-width forms are not included.
  return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) || (cp >= 0x20000 && cp <= 0x2A6DF) ||
         (cp >= 0x2A700 && cp <= 0x2B73F) || (cp >= 0x2B740 && cp <= 0x2B81F) || (cp >= 0x2B920 && cp <= 0x2CEAF) ||
         (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x2F800 && cp <= 0x2FA1F);
}

std::uint8_t char_flags(char32_t cp) noexcept { return flag_table()[cp]; }

std::span<const std::uint8_t> char_flag_table() noexcept { return flag_table(); }

std::uint8_t combining_class(char32_t cp) noexcept {
  if (const auto* o = overrides::find(overrides::kCombiningClass, cp)) return o->value;
  return base::combining_class(cp);
}

Mapping canonical_decomposition(char32_t cp) noexcept {
  if (const auto* m = overrides::find(overrides::kDecomposition, cp)) return *m;
  return base::canonical_decomposition(cp);
}

Mapping full_lowercase(char32_t cp) noexcept {
  if (const auto* m = overrides::find(overrides::kLowercase, cp)) return *m;
  return base::full_lowercase(cp);
}

namespace base {

CleanClass clean_class(char32_t cp) noexcept {
  if (cp == 0 || cp == 0xFFFD) return CleanClass::Removed;
  if (cp == '\t' || cp == '\n' || cp == '\r') return CleanClass::Whitespace;
  // tokenizers' is_control is unicode_categories' is_other(): Cc, Cf and Co, but not Cn (unassigned
  // code points are kept) and not Cs (impossible in valid UTF-8).
  const auto category = property(cp).category;
  if (category == UTF8PROC_CATEGORY_CC || category == UTF8PROC_CATEGORY_CF || category == UTF8PROC_CATEGORY_CO) {
    return CleanClass::Removed;
  }
  return is_white_space(cp) ? CleanClass::Whitespace : CleanClass::Kept;
}

bool is_nonspacing_mark(char32_t cp) noexcept { return property(cp).category == UTF8PROC_CATEGORY_MN; }

bool is_punctuation(char32_t cp) noexcept {
  if (is_ascii_punctuation(cp)) return true;
  const auto category = property(cp).category;
  return category >= UTF8PROC_CATEGORY_PC && category <= UTF8PROC_CATEGORY_PO;
}

std::uint8_t combining_class(char32_t cp) noexcept { return static_cast<std::uint8_t>(property(cp).combining_class); }

Mapping canonical_decomposition(char32_t cp) noexcept {
  const auto& p = property(cp);
  const bool has_canonical = p.decomp_seqindex != kNoSequence && p.decomp_type == 0;
  if (!has_canonical && !(cp >= kHangulFirst && cp <= kHangulLast)) return single(cp);
  utf8proc_int32_t buffer[kMaxMapping];
  utf8proc_int32_t boundclass = 0;
  const auto n = utf8proc_decompose_char(static_cast<utf8proc_int32_t>(cp), buffer, kMaxMapping,
                                         UTF8PROC_DECOMPOSE, &boundclass);
  if (n <= 0 || static_cast<std::size_t>(n) > kMaxMapping) return single(cp);
  Mapping m;
  for (utf8proc_ssize_t i = 0; i < n; ++i) m.cps[static_cast<std::size_t>(i)] = static_cast<char32_t>(buffer[i]);
  m.size = static_cast<std::uint8_t>(n);
  return m;
}

Mapping full_lowercase(char32_t cp) noexcept {
  // utf8proc_tolower is the simple (one code point) mapping. The full mapping Rust uses differs only
  // where SpecialCasing.txt has an unconditional multi-character lowercase, and the only such entry is
  // U+0130 (I WITH DOT ABOVE -> i + COMBINING DOT ABOVE).
  if (cp == 0x130) {
    Mapping m;
    m.cps[0] = 0x69;
    m.cps[1] = 0x307;
    m.size = 2;
    return m;
  }
  return single(static_cast<char32_t>(utf8proc_tolower(static_cast<utf8proc_int32_t>(cp))));
}

}  // namespace base

}  // namespace uninlu::text
