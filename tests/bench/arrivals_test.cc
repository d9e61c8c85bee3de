#include "bench/arrivals.h"

#include <gtest/gtest.h>

#include <cmath>

#include "core/error.h"

namespace uninlu::bench {
namespace {

TEST(Arrivals, UniformGapsAreExactlyOneOverTheRate) {
  ArrivalSchedule s(50, ArrivalKind::Uniform);
  for (int i = 0; i < 10; ++i) EXPECT_DOUBLE_EQ(s.next_gap_seconds(), 0.02);
}

TEST(Arrivals, PoissonGapsHaveTheRightMeanAndSpread) {
  ArrivalSchedule s(100, ArrivalKind::Poisson, 7);
  constexpr int n = 200000;
  double sum = 0, sum_sq = 0;
  for (int i = 0; i < n; ++i) {
    const double g = s.next_gap_seconds();
    ASSERT_GE(g, 0);
    sum += g;
    sum_sq += g * g;
  }
  const double mean = sum / n;
  const double sd = std::sqrt(sum_sq / n - mean * mean);
  EXPECT_NEAR(mean, 0.01, 0.0002);  // exponential: mean = sd = 1/rate
  EXPECT_NEAR(sd, 0.01, 0.0003);
}

TEST(Arrivals, TheSameSeedGivesTheSameSchedule) {
  ArrivalSchedule a(10, ArrivalKind::Poisson, 3), b(10, ArrivalKind::Poisson, 3), c(10, ArrivalKind::Poisson, 4);
  bool differs = false;
  for (int i = 0; i < 100; ++i) {
    const double x = a.next_gap_seconds();
    EXPECT_DOUBLE_EQ(x, b.next_gap_seconds());
    differs = differs || x != c.next_gap_seconds();
  }
  EXPECT_TRUE(differs);
}

TEST(Arrivals, BadRatesAndKindsAreUsageErrors) {
  EXPECT_THROW(ArrivalSchedule(0, ArrivalKind::Poisson), Error);
  EXPECT_THROW(ArrivalSchedule(-1, ArrivalKind::Uniform), Error);
  EXPECT_THROW(ArrivalSchedule(NAN, ArrivalKind::Uniform), Error);
  EXPECT_EQ(parse_arrival_kind("poisson"), ArrivalKind::Poisson);
  EXPECT_EQ(parse_arrival_kind("uniform"), ArrivalKind::Uniform);
  EXPECT_THROW(parse_arrival_kind("bursty"), Error);
}

}  // namespace
}  // namespace uninlu::bench
