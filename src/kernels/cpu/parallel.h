#pragma once
// How the elementwise kernels split rows over OpenMP threads. A parallel region costs a few
// microseconds, so small tensors (one short sequence) stay on the calling thread.
#include <cstdint>

namespace uninlu::cpu {

// Below this many elements per call a kernel runs serially.
inline constexpr std::int64_t kMinParallelElements = 32 * 1024;

inline bool worth_parallel(std::int64_t rows, std::int64_t cols) noexcept {
  return rows > 1 && rows * cols >= kMinParallelElements;
}

}  // namespace uninlu::cpu
