#include "bench/latency_stats.h"

#include <gtest/gtest.h>

#include <numeric>
#include <vector>

namespace uninlu::bench {
namespace {

TEST(LatencyStats, EmptyIsAllZero) {
  const LatencySummary s = summarize({});
  EXPECT_EQ(s.count, 0u);
  EXPECT_EQ(s.p50_ms, 0);
  EXPECT_EQ(s.max_ms, 0);
}

TEST(LatencyStats, NearestRankOnOneToHundred) {
  std::vector<double> v(100);
  std::iota(v.begin(), v.end(), 1.0);
  std::reverse(v.begin(), v.end());  // summarize sorts
  const LatencySummary s = summarize(v);
  EXPECT_EQ(s.count, 100u);
  EXPECT_DOUBLE_EQ(s.p50_ms, 50);
  EXPECT_DOUBLE_EQ(s.p90_ms, 90);
  EXPECT_DOUBLE_EQ(s.p95_ms, 95);
  EXPECT_DOUBLE_EQ(s.p99_ms, 99);
  EXPECT_DOUBLE_EQ(s.max_ms, 100);
  EXPECT_DOUBLE_EQ(s.min_ms, 1);
  EXPECT_DOUBLE_EQ(s.mean_ms, 50.5);
}

TEST(LatencyStats, SmallSamplesTakeTheNextRankUp) {
  // 3 samples: p50 is the 2nd (ceil(1.5)), p95 and p99 the 3rd.
  const LatencySummary s = summarize({30, 10, 20});
  EXPECT_DOUBLE_EQ(s.p50_ms, 20);
  EXPECT_DOUBLE_EQ(s.p95_ms, 30);
  EXPECT_DOUBLE_EQ(s.p99_ms, 30);
}

TEST(LatencyStats, PercentileClampsItsArgument) {
  const std::vector<double> sorted = {1, 2, 3, 4};
  EXPECT_DOUBLE_EQ(percentile_sorted(sorted, 0), 1);
  EXPECT_DOUBLE_EQ(percentile_sorted(sorted, -5), 1);
  EXPECT_DOUBLE_EQ(percentile_sorted(sorted, 100), 4);
  EXPECT_DOUBLE_EQ(percentile_sorted(sorted, 250), 4);
  EXPECT_DOUBLE_EQ(percentile_sorted(sorted, 25), 1);
  EXPECT_DOUBLE_EQ(percentile_sorted(sorted, 26), 2);
}

TEST(LatencyStats, OneSlowRequestShowsOnlyInTheTail) {
  std::vector<double> v(1000, 5.0);
  v[123] = 900;
  const LatencySummary s = summarize(v);
  EXPECT_DOUBLE_EQ(s.p50_ms, 5);
  EXPECT_DOUBLE_EQ(s.p99_ms, 5);
  EXPECT_DOUBLE_EQ(s.max_ms, 900);
}

}  // namespace
}  // namespace uninlu::bench
