#include "engine/cpu/thread_pinning.h"

#include <gtest/gtest.h>
#include <omp.h>
#include <sched.h>

#include <set>
#include <thread>
#include <vector>

namespace uninlu {
namespace {

int allowed_cpu_count() {
  cpu_set_t set;
  CPU_ZERO(&set);
  return sched_getaffinity(0, sizeof(set), &set) == 0 ? CPU_COUNT(&set) : 0;
}

// Each team thread's own affinity set, as seen from inside the team.
std::vector<std::set<int>> team_affinities(int threads) {
  std::vector<std::set<int>> out(static_cast<std::size_t>(threads));
#pragma omp parallel num_threads(threads)
  {
    cpu_set_t set;
    CPU_ZERO(&set);
    sched_getaffinity(0, sizeof(set), &set);
    std::set<int> cpus;
    for (int c = 0; c < CPU_SETSIZE; ++c) {
      if (CPU_ISSET(c, &set)) cpus.insert(c);
    }
    out[static_cast<std::size_t>(omp_get_thread_num())] = cpus;
  }
  return out;
}

// Runs `body` on a fresh thread (its own OpenMP team), so that pinning never leaks into other tests.
template <class F>
void on_fresh_thread(F body) {
  std::thread t(body);
  t.join();
}

TEST(ThreadPinning, ATeamSmallerThanTheCpusIsLeftAlone) {
  const int cpus = allowed_cpu_count();
  if (cpus < 3) GTEST_SKIP() << "needs 3 or more CPUs to have a team of 2 that does not cover them";
  on_fresh_thread([&] {
    EXPECT_FALSE(pin_openmp_team(2));
    for (const auto& a : team_affinities(2)) EXPECT_EQ(static_cast<int>(a.size()), cpus);
  });
}

TEST(ThreadPinning, OneThreadIsNeverPinned) {
  on_fresh_thread([] { EXPECT_FALSE(pin_openmp_team(1)); });
}

TEST(ThreadPinning, ATeamCoveringEveryCpuGetsOneCpuPerThread) {
  const int cpus = allowed_cpu_count();
  if (cpus < 2) GTEST_SKIP() << "needs 2 or more CPUs";
  on_fresh_thread([&] {
    ASSERT_TRUE(pin_openmp_team(cpus));
    EXPECT_TRUE(pin_openmp_team(cpus));  // the second call finds the team pinned
    std::set<int> used;
    for (const auto& a : team_affinities(cpus)) {
      ASSERT_EQ(a.size(), 1u);
      used.insert(*a.begin());
    }
    EXPECT_EQ(static_cast<int>(used.size()), cpus);  // distinct CPUs
  });
}

}  // namespace
}  // namespace uninlu
