// text_unicode_dump: a header line "# utf8proc <version>", then one line per code point (surrogates skipped) with utf8proc's answers before
// uninlu's overrides, in the format tools/oracle/gen_unicode_overrides.js compares with Rust's:
//   hex;clean;mn;punct;ccc;nfd;lower
// clean is K (kept), R (removed) or W (whitespace); nfd and lower are space-separated hex code points,
// empty when the code point maps to itself.
#include <utf8proc.h>

#include <cstdio>
#include <string>

#include "text/unicode_props.h"

namespace {

std::string hex_list(const uninlu::text::Mapping& m, char32_t self) {
  if (m.size == 1 && m.cps[0] == self) return {};
  std::string out;
  char buffer[16];
  for (std::size_t i = 0; i < m.size; ++i) {
    std::snprintf(buffer, sizeof buffer, "%s%x", i ? " " : "", static_cast<unsigned>(m.cps[i]));
    out += buffer;
  }
  return out;
}

}  // namespace

int main() {
  namespace base = uninlu::text::base;
  std::printf("# utf8proc %s (Unicode %s)\n", utf8proc_version(), utf8proc_unicode_version());
  for (char32_t cp = 0; cp <= uninlu::text::kMaxCodePoint; ++cp) {
    if (cp >= 0xD800 && cp <= 0xDFFF) continue;
    const char clean = "KRW"[static_cast<int>(base::clean_class(cp))];
    std::printf("%x;%c;%d;%d;%d;%s;%s\n", static_cast<unsigned>(cp), clean, base::is_nonspacing_mark(cp) ? 1 : 0,
                base::is_punctuation(cp) ? 1 : 0, base::combining_class(cp),
                hex_list(base::canonical_decomposition(cp), cp).c_str(), hex_list(base::full_lowercase(cp), cp).c_str());
  }
  return 0;
}
