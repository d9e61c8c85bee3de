#include "text/bert_normalizer.h"

#include <cstddef>
#include <span>

#include "text/unicode_props.h"

namespace uninlu::text {

namespace {

// A code point of the NFD output waiting for canonical reordering. `added` marks the second and later
// code points of one decomposition (the crate's "change = 1").
struct PendingCp {
  char32_t cp;
  std::uint8_t ccc;
  bool added;
};

void append_lowercased(std::uint8_t flags, char32_t cp, std::int32_t begin, std::int32_t end, bool lowercase,
                       std::vector<NormalizedChar>& out) {
  if (!lowercase || !(flags & kLowercaseChanges)) {
    out.push_back({cp, begin, end});
    return;
  }
  const Mapping lower = full_lowercase(cp);
  for (std::size_t i = 0; i < lower.size; ++i) out.push_back({lower.cps[i], begin, end});
}

// clean_text and handle_chinese_chars: both keep every surviving character on its own position.
void clean(std::u32string_view text, std::int32_t origin, bool handle_chinese_chars,
           std::vector<NormalizedChar>& out) {
  const std::span<const std::uint8_t> flag_table = char_flag_table();
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char32_t cp = text[i];
    const std::uint8_t flags = flag_table[cp];
    if (flags & kRemovedByClean) continue;
    const auto begin = origin + static_cast<std::int32_t>(i);
    if (flags & kWhitespace) {
      out.push_back({U' ', begin, begin + 1});
    } else if (handle_chinese_chars && (flags & kChinese)) {
      // The inserted spaces only separate words; the pre-tokenizer drops them, so their alignment
      // never reaches an offset.
      out.push_back({U' ', begin, begin + 1});
      out.push_back({cp, begin, begin + 1});
      out.push_back({U' ', begin, begin + 1});
    } else {
      out.push_back({cp, begin, begin + 1});
    }
  }
}

// NFD (decompose, then stably sort each run of non-starters by combining class), drop Mn, lowercase.
// The crate assigns alignments by position, not by character: the k-th code point of the output that
// is not `added` takes the alignment of the k-th input character, an `added` one takes the alignment of
// the input character before that, or the empty range at the segment start if there is none. After a
// reordering the two differ, and the crate's answer is the positional one.
class DecomposeStripLower {
 public:
  DecomposeStripLower(const std::vector<NormalizedChar>& input, std::int32_t origin, bool lowercase,
                      std::vector<NormalizedChar>& out)
      : input_(input), origin_(origin), lowercase_(lowercase), out_(out) {}

  void run() {
    for (const NormalizedChar& c : input_) {
      const std::uint8_t flags = flags_[c.cp];
      if (!(flags & (kDecomposes | kCombining))) {  // the common case: a starter that stays as it is
        flush();
        emit(c.cp, false);
        continue;
      }
      const Mapping parts = (flags & kDecomposes) ? canonical_decomposition(c.cp) : Mapping{{c.cp}, 1};
      for (std::size_t k = 0; k < parts.size; ++k) {
        const char32_t cp = parts.cps[k];
        const std::uint8_t ccc = (flags_[cp] & kCombining) ? combining_class(cp) : 0;
        if (ccc == 0) {
          flush();
          emit(cp, k > 0);
        } else {
          pending_.push_back({cp, ccc, k > 0});
        }
      }
    }
    flush();
  }

 private:
  void flush() {
    // Insertion sort: stable, allocation-free, and runs of combining marks are short.
    for (std::size_t i = 1; i < pending_.size(); ++i) {
      const PendingCp item = pending_[i];
      std::size_t j = i;
      for (; j > 0 && pending_[j - 1].ccc > item.ccc; --j) pending_[j] = pending_[j - 1];
      pending_[j] = item;
    }
    for (const PendingCp& p : pending_) emit(p.cp, p.added);
    pending_.clear();
  }

  void emit(char32_t cp, bool added) {
    std::int32_t begin = origin_, end = origin_;
    if (!added) {
      begin = input_[cursor_].begin;
      end = input_[cursor_].end;
      ++cursor_;
    } else if (cursor_ > 0) {
      begin = input_[cursor_ - 1].begin;
      end = input_[cursor_ - 1].end;
    }
    const std::uint8_t flags = flags_[cp];
    if (flags & kNonspacingMark) return;
    append_lowercased(flags, cp, begin, end, lowercase_, out_);
  }

  const std::span<const std::uint8_t> flags_ = char_flag_table();
  const std::vector<NormalizedChar>& input_;
  std::int32_t origin_;
  bool lowercase_;
  std::vector<NormalizedChar>& out_;
  std::vector<PendingCp> pending_;
  std::size_t cursor_ = 0;
};

}  // namespace

void BertNormalizer::normalize(std::u32string_view text, std::int32_t origin, std::vector<NormalizedChar>& out) const {
  if (!options_.strip_accents) {
    const std::size_t first = out.size();
    clean(text, origin, options_.handle_chinese_chars, out);
    if (!options_.lowercase) return;
    std::vector<NormalizedChar> cleaned(out.begin() + static_cast<std::ptrdiff_t>(first), out.end());
    out.resize(first);
    for (const auto& c : cleaned) append_lowercased(char_flags(c.cp), c.cp, c.begin, c.end, true, out);
    return;
  }
  std::vector<NormalizedChar> cleaned;
  cleaned.reserve(text.size() + 16);
  clean(text, origin, options_.handle_chinese_chars, cleaned);
  DecomposeStripLower(cleaned, origin, options_.lowercase, out).run();
}

}  // namespace uninlu::text
