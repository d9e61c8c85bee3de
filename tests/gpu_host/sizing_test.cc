// Batch budgets from free memory and the arena's resize policy: arithmetic the GPU path acts on.
#include <gtest/gtest.h>

#include "engine/cuda/host/arena_policy.h"
#include "engine/cuda/host/batch_budget.h"
#include "engine/cuda/host/device_users.h"

namespace uninlu::cuda {
namespace {

constexpr std::size_t kMiB = std::size_t{1} << 20;
constexpr std::size_t kGiB = std::size_t{1} << 30;
constexpr std::size_t kPerToken = 92 * 1024;  // ~ the base model's fp16 worst case

TEST(BatchBudget, ChosenBudgetIsThePresetCappedByWhatFits) {
  const BudgetPlan big = plan_batch_budget({70 * kGiB, 80 * kGiB, kPerToken, 0});
  EXPECT_EQ(big.max_batch_tokens, 16384u);
  EXPECT_EQ(big.reserve_tokens, 16384u);
  EXPECT_FALSE(big.too_small);
  const BudgetPlan tight = plan_batch_budget({2 * kGiB, 80 * kGiB, kPerToken, 0});
  EXPECT_EQ(tight.fits, tokens_that_fit(2 * kGiB, kPerToken));
  EXPECT_EQ(tight.max_batch_tokens, tight.fits);
  EXPECT_LT(tight.fits, 16384u);
  // The reserve of what fits fits: (free - headroom) * safety.
  EXPECT_LE(static_cast<double>(tight.reserve_tokens * kPerToken),
            static_cast<double>(2 * kGiB - kBudgetHeadroomBytes) * kBudgetSafety);
  EXPECT_TRUE(plan_batch_budget({kBudgetHeadroomBytes + 10 * kMiB, 80 * kGiB, kPerToken, 0}).too_small);
}

TEST(BatchBudget, ExplicitBudgetLargerThanMemoryReservesWhatFits) {
  const std::size_t requested = std::size_t{1} << 24;  // the largest the config accepts
  const BudgetPlan p = plan_batch_budget({20 * kGiB, 24 * kGiB, kPerToken, requested});
  EXPECT_FALSE(p.too_small);  // never fails startup: it warns
  EXPECT_EQ(p.max_batch_tokens, requested);
  EXPECT_EQ(p.reserve_tokens, p.fits);
  EXPECT_LT(p.reserve_tokens * kPerToken, 20 * kGiB);
  EXPECT_NE(p.why.find("more than fits"), std::string::npos) << p.why;
  // Even with almost nothing free, the reserve is one item, not the request.
  const BudgetPlan none = plan_batch_budget({100 * kMiB, 24 * kGiB, kPerToken, requested});
  EXPECT_EQ(none.fits, 0u);
  EXPECT_EQ(none.reserve_tokens, kBudgetMinTokens);
}

TEST(BatchBudget, ExplicitBudgetThatFitsIsReservedAsIs) {
  const BudgetPlan p = plan_batch_budget({20 * kGiB, 24 * kGiB, kPerToken, 4096});
  EXPECT_EQ(p.max_batch_tokens, 4096u);
  EXPECT_EQ(p.reserve_tokens, 4096u);
  EXPECT_EQ(plan_batch_budget({20 * kGiB, 24 * kGiB, kPerToken, 64}).reserve_tokens, kBudgetMinTokens);
}

TEST(ArenaPolicy, GrowsForALargeBatchThenShrinksBackToThePlan) {
  const std::size_t plan = 100 * kMiB;
  EXPECT_FALSE(plan_arena_resize(plan, plan, 60 * kMiB).change);
  const ArenaResize grow = plan_arena_resize(plan, plan, 200 * kMiB);
  EXPECT_TRUE(grow.change && grow.grows_past_plan);
  EXPECT_EQ(grow.bytes, 300 * kMiB);
  EXPECT_EQ(grow.minimum, 200 * kMiB);
  EXPECT_FALSE(plan_arena_resize(300 * kMiB, plan, 250 * kMiB).change);  // similar batches: kept
  const ArenaResize back = plan_arena_resize(300 * kMiB, plan, 60 * kMiB);
  EXPECT_TRUE(back.change);
  EXPECT_EQ(back.bytes, plan);
}

TEST(ArenaPolicy, AfterAnOutOfMemoryTheArenaComesBackAtThePlannedSize) {
  const std::size_t plan = 100 * kMiB;
  // The failed growth left the arena empty; the next, small call gets the planned reserve (not 1.5x its
  // own need, which the next medium batch would outgrow: an allocation on the hot path).
  const ArenaResize r = plan_arena_resize(0, plan, 10 * kMiB);
  EXPECT_TRUE(r.change);
  EXPECT_EQ(r.bytes, plan);
  EXPECT_FALSE(r.grows_past_plan);
  EXPECT_FALSE(plan_arena_resize(r.bytes, plan, 90 * kMiB).change);
}

TEST(ArenaPolicy, SizesAreWholeMiB) {
  const ArenaResize r = plan_arena_resize(0, 1, 3 * kMiB + 1);
  EXPECT_EQ(r.bytes % kMiB, 0u);
  EXPECT_GE(r.minimum, 3 * kMiB + 1);
  EXPECT_EQ(plan_arena_resize(0, 1, 1).bytes, kMiB);
}

TEST(DeviceUsers, AResetIsSafeOnlyForTheSoleUserOfEachGpu) {
  DeviceUsers users;
  {
    DeviceLease a(users, {0});
    DeviceLease pair(users, {1, 2});
    EXPECT_TRUE(a.sole_user());
    EXPECT_TRUE(pair.sole_user());
    DeviceLease b(users, {0});
    EXPECT_FALSE(a.sole_user());
    EXPECT_FALSE(b.sole_user());
    EXPECT_TRUE(pair.sole_user());
    EXPECT_EQ(users.users(0), 2u);
  }
  EXPECT_EQ(users.users(0), 0u);
  DeviceLease same_twice(users, {3, 3});  // a "pair" on one GPU counts once
  EXPECT_TRUE(same_twice.sole_user());
}

}  // namespace
}  // namespace uninlu::cuda
