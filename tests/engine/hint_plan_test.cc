#include "engine/hint_plan.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "engine/hint_cache.h"

namespace uninlu {
namespace {

constexpr int kHidden = 2;

// States whose every value names the hint row it belongs to: row r of a computed stage holds r + 0.5.
std::vector<float> computed_states(int rows) {
  std::vector<float> out;
  for (int r = 0; r < rows; ++r) out.insert(out.end(), kHidden, static_cast<float>(r) + 0.5f);
  return out;
}

TEST(HintPlan, ComputesEachDistinctUncachedHintOnceInOrderOfFirstAppearance) {
  const std::vector<std::int32_t> a = {101, 1, 102}, b = {101, 2, 2, 102};
  const std::vector<HintInput> hints = {{b, 17}, {a, 17}, {a, 17}, {b, 9}};
  HintCache cache(1 << 20);
  HintPlan plan;
  plan.prepare(hints, true, cache);
  ASSERT_EQ(plan.unique_count(), 3u);
  EXPECT_EQ(plan.unique_of(1), plan.unique_of(2));
  EXPECT_EQ(std::vector<int>(plan.missed().begin(), plan.missed().end()), (std::vector<int>{0, 1, 2}));
  // Stacked in missed() order: b (4 rows), a (3 rows), b at offset 9 (4 rows).
  EXPECT_EQ(plan.computed_row(0), 0);
  EXPECT_EQ(plan.computed_row(1), 4);
  EXPECT_EQ(plan.computed_row(2), 7);
  EXPECT_EQ(plan.computed_rows(), 11);

  const std::vector<float> computed = computed_states(plan.computed_rows());
  const std::vector<TextStates> out = plan.states_per_hint(computed.data(), kHidden);
  ASSERT_EQ(out.size(), hints.size());
  const float first_rows[] = {0.5f, 4.5f, 4.5f, 7.5f};
  for (std::size_t i = 0; i < out.size(); ++i) {
    EXPECT_EQ(out[i].len, static_cast<int>(hints[i].ids.size()));
    EXPECT_EQ(out[i].hidden, kHidden);
    EXPECT_EQ(out[i].values.front(), first_rows[i]) << "hint " << i;
    EXPECT_EQ(out[i].values.back(), first_rows[i] + static_cast<float>(out[i].len - 1)) << "hint " << i;
  }
}

TEST(HintPlan, RememberedHintsComeFromTheCacheNextTime) {
  const std::vector<std::int32_t> a = {101, 1, 102}, b = {101, 2, 102};
  HintCache cache(1 << 20);
  HintPlan plan;
  const std::vector<HintInput> first = {{a, 5}};
  plan.prepare(first, true, cache);
  const std::vector<float> computed = computed_states(plan.computed_rows());
  plan.remember(computed.data(), kHidden, cache);

  const std::vector<HintInput> second = {{b, 5}, {a, 5}};
  plan.prepare(second, true, cache);
  ASSERT_EQ(plan.unique_count(), 2u);
  EXPECT_EQ(plan.cached(plan.unique_of(0)), nullptr);
  ASSERT_NE(plan.cached(plan.unique_of(1)), nullptr);
  EXPECT_EQ(plan.computed_row(plan.unique_of(1)), -1);
  EXPECT_EQ(std::vector<int>(plan.missed().begin(), plan.missed().end()), (std::vector<int>{0}));
  EXPECT_EQ(plan.computed_rows(), 3);
  // The cached hint's states are the ones remembered, not rows of this call's (different) output.
  const std::vector<float> other(3 * kHidden, -1.0f);
  const float* states = plan.states(1, other.data(), kHidden);
  EXPECT_EQ(std::vector<float>(states, states + 3 * kHidden), computed);
  EXPECT_EQ(plan.states(0, other.data(), kHidden), other.data());
}

TEST(HintPlan, WithoutDeduplicationEveryHintIsComputed) {
  const std::vector<std::int32_t> a = {101, 1, 102};
  const std::vector<HintInput> hints = {{a, 5}, {a, 5}};
  HintCache cache(0);  // disabled: nothing is found, nothing remembered
  HintPlan plan;
  plan.prepare(hints, false, cache);
  EXPECT_EQ(plan.missed().size(), 2u);
  EXPECT_EQ(plan.computed_row(1), 3);
  const std::vector<float> computed = computed_states(plan.computed_rows());
  plan.remember(computed.data(), kHidden, cache);
  EXPECT_EQ(cache.entries(), 0u);
}

}  // namespace
}  // namespace uninlu
