#include "kernels/cpu/activation.h"

#include <cstdint>

#include "kernels/cpu/parallel.h"
#include "kernels/cpu/row_ops.h"

namespace uninlu::cpu {
namespace {

UNINLU_SIMD_CLONES void bias_gelu_rows(float* __restrict x, const float* __restrict bias, int rows, int cols) {
  for (int r = 0; r < rows; ++r) {
    float* __restrict row = x + static_cast<std::int64_t>(r) * cols;
#pragma omp simd
    for (int c = 0; c < cols; ++c) row[c] = rows::gelu(row[c] + bias[c]);
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
