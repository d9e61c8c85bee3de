#include "engine/hint_cache.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "engine/hint_dedup.h"

namespace uninlu {
namespace {

TEST(HintCache, FindsWhatWasInsertedByIdsAndOffset) {
  HintCache cache(1 << 20);
  const std::vector<std::int32_t> ids = {101, 5, 6, 102};
  const std::vector<float> states(4 * 3, 0.5f);
  EXPECT_EQ(cache.find(ids, 17), nullptr);
  cache.insert(ids, 17, states.data(), 3);
  const float* hit = cache.find(ids, 17);
  ASSERT_NE(hit, nullptr);
  EXPECT_EQ(std::vector<float>(hit, hit + 12), states);
  EXPECT_EQ(cache.find(ids, 18), nullptr);  // another offset is another hint
  const std::vector<std::int32_t> prefix = {101, 5, 6};
  EXPECT_EQ(cache.find(prefix, 17), nullptr);
  EXPECT_EQ(cache.hits(), 1u);
  EXPECT_EQ(cache.misses(), 3u);
}

TEST(HintCache, EvictsLeastRecentlyUsedWithinItsBudget) {
  const int hidden = 4;
  const std::vector<float> states(2 * hidden, 1.0f);  // 32 bytes per entry
  HintCache cache(3 * 32);
  const std::vector<std::vector<std::int32_t>> ids = {{1, 2}, {3, 4}, {5, 6}, {7, 8}};
  for (int i = 0; i < 3; ++i) cache.insert(ids[static_cast<std::size_t>(i)], 0, states.data(), hidden);
  ASSERT_NE(cache.find(ids[0], 0), nullptr);  // {1, 2} is now the most recent
  cache.insert(ids[3], 0, states.data(), hidden);
  EXPECT_EQ(cache.entries(), 3u);
  EXPECT_LE(cache.bytes(), 3u * 32u);
  EXPECT_NE(cache.find(ids[0], 0), nullptr);
  EXPECT_EQ(cache.find(ids[1], 0), nullptr);  // the least recently used went
  EXPECT_NE(cache.find(ids[3], 0), nullptr);
}

TEST(HintCache, DisabledCacheHoldsNothing) {
  HintCache cache(0);
  const std::vector<std::int32_t> ids = {1};
  const std::vector<float> states(4, 1.0f);
  cache.insert(ids, 0, states.data(), 4);
  EXPECT_EQ(cache.find(ids, 0), nullptr);
  EXPECT_EQ(cache.entries(), 0u);
}

TEST(HintGroups, IdenticalHintsAtTheSameOffsetShareAGroup) {
  const std::vector<std::int32_t> a = {101, 1, 102}, b = {101, 2, 102}, a_copy = {101, 1, 102};
  const std::vector<HintInput> hints = {{b, 17}, {a, 17}, {a_copy, 17}, {a, 9}, {b, 17}};
  HintGroups groups;
  group_hints(hints, true, groups);
  EXPECT_EQ(groups.unique_of, (std::vector<int>{0, 1, 1, 2, 0}));
  EXPECT_EQ(groups.unique_first, (std::vector<int>{0, 1, 3}));
  group_hints(hints, false, groups);
  EXPECT_EQ(groups.unique_of, (std::vector<int>{0, 1, 2, 3, 4}));
  EXPECT_EQ(groups.unique_first.size(), 5u);
}

}  // namespace
}  // namespace uninlu
