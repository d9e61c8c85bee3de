#pragma once
// Sets the calling thread's OpenMP team size for the lifetime of the scope (the setting is per thread,
// so other threads and other backends are unaffected), and restores it afterwards.
#include <omp.h>

namespace uninlu {

class ThreadScope {
 public:
  explicit ThreadScope(int threads) : previous_(omp_get_max_threads()) { omp_set_num_threads(threads); }
  ~ThreadScope() { omp_set_num_threads(previous_); }
  ThreadScope(const ThreadScope&) = delete;
  ThreadScope& operator=(const ThreadScope&) = delete;

 private:
  int previous_;
};

}  // namespace uninlu
