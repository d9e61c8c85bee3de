#include "pipeline/text_windows.h"

#include <gtest/gtest.h>

namespace uninlu {
namespace {

// The reference: split_num = ceil((n - 384) / 352) + 1 if n > 384 else 1; window j = ids[j*352 : j*352+384].
std::size_t reference_count(int n) { return n > 384 ? static_cast<std::size_t>((n - 384 + 351) / 352 + 1) : 1u; }

TEST(TextWindows, SingleWindowKeepsItsOwnLength) {
  for (int n : {2, 17, 383, 384}) {
    const auto w = make_text_windows(n);
    ASSERT_EQ(w.size(), 1u);
    EXPECT_EQ(w[0].shift, 0);
    EXPECT_EQ(w[0].length, n);
    EXPECT_EQ(w[0].padded_len, n);
  }
}

TEST(TextWindows, BoundaryLengths) {
  struct Case {
    int n;
    std::vector<std::pair<int, int>> windows;  // shift, length
  };
  const std::vector<Case> cases = {
      {385, {{0, 384}, {352, 33}}},
      {736, {{0, 384}, {352, 384}}},
      {737, {{0, 384}, {352, 384}, {704, 33}}},
      {1088, {{0, 384}, {352, 384}, {704, 384}}},
  };
  for (const auto& c : cases) {
    const auto w = make_text_windows(c.n);
    ASSERT_EQ(w.size(), c.windows.size()) << c.n;
    for (std::size_t i = 0; i < w.size(); ++i) {
      EXPECT_EQ(w[i].shift, c.windows[i].first) << c.n;
      EXPECT_EQ(w[i].length, c.windows[i].second) << c.n;
      EXPECT_EQ(w[i].padded_len, 384) << c.n;
    }
  }
}

TEST(TextWindows, MatchesTheReferenceFormulaAndCoversEveryToken) {
  for (int n = 2; n < 3000; ++n) {
    const auto w = make_text_windows(n);
    ASSERT_EQ(w.size(), reference_count(n)) << n;
    std::vector<int> cover(static_cast<std::size_t>(n), 0);
    for (const auto& win : w) {
      for (int i = 0; i < win.length; ++i) ++cover[static_cast<std::size_t>(win.shift + i)];
    }
    for (int i = 0; i < n; ++i) {
      ASSERT_GE(cover[static_cast<std::size_t>(i)], 1) << "n=" << n << " token " << i;
      ASSERT_LE(cover[static_cast<std::size_t>(i)], 2) << "n=" << n << " token " << i;
    }
  }
}

}  // namespace
}  // namespace uninlu
