#include "engine/cpu/thread_pinning.h"

#include <omp.h>
#include <sched.h>

#include <atomic>
#include <vector>

namespace uninlu {
namespace {

std::vector<int> allowed_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  std::vector<int> cpus;
  if (sched_getaffinity(0, sizeof(set), &set) != 0) return cpus;
  for (int c = 0; c < CPU_SETSIZE; ++c) {
    if (CPU_ISSET(c, &set)) cpus.push_back(c);
  }
  return cpus;
}

}  // namespace

bool pin_openmp_team(int threads) {
  thread_local int pinned_threads = 0;  // the team size this thread's team was pinned with
  if (pinned_threads == threads) return true;
  const std::vector<int> cpus = allowed_cpus();
  if (threads < 2 || static_cast<int>(cpus.size()) != threads) return false;
  std::atomic<int> failures{0};
#pragma omp parallel num_threads(threads)
  {
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(cpus[static_cast<std::size_t>(omp_get_thread_num())], &one);
    if (sched_setaffinity(0, sizeof(one), &one) != 0) failures.fetch_add(1);
  }
  if (failures.load() != 0) return false;
  pinned_threads = threads;
  return true;
}

}  // namespace uninlu
