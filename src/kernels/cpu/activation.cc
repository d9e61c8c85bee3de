#include "kernels/cpu/activation.h"

#include <cstdint>

#include "kernels/cpu/parallel.h"
#include "kernels/cpu/simd.h"

namespace uninlu::cpu {
namespace {

UNINLU_SIMD_CLONES void bias_gelu_rows(float* __restrict x, const float* __restrict bias, int rows, int cols) {
  constexpr float kInvSqrt2 = 0.70710678118654752f;
  for (int r = 0; r < rows; ++r) {
    float* __restrict row = x + static_cast<std::int64_t>(r) * cols;
#pragma omp simd
    for (int c = 0; c < cols; ++c) {
      const float v = row[c] + bias[c];
      row[c] = 0.5f * v * (1.0f + erf_approx(v * kInvSqrt2));
    }
  }
}

}  // namespace

void bias_gelu(float* x, const float* bias, int rows, int cols) {
  if (!worth_parallel(rows, cols)) {
    bias_gelu_rows(x, bias, rows, cols);
    return;
  }
#pragma omp parallel for schedule(static)
  for (int r = 0; r < rows; ++r) bias_gelu_rows(x + static_cast<std::int64_t>(r) * cols, bias, 1, cols);
}

}  // namespace uninlu::cpu
