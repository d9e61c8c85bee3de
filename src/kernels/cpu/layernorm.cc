#include "kernels/cpu/layernorm.h"

#include <cstdint>

#include "kernels/cpu/parallel.h"
#include "kernels/cpu/row_ops.h"

namespace uninlu::cpu {
namespace {

UNINLU_SIMD_CLONES void bias_residual_layernorm_rows(const float* x, const float* bias, const float* residual,
                                                     float* out, int rows, int cols, const float* gamma,
                                                     const float* beta, float eps) {
  for (int r = 0; r < rows; ++r) {
    const std::int64_t base = static_cast<std::int64_t>(r) * cols;
    const float* xr = x + base;
    const float* rr = residual + base;
    float* orow = out + base;
    if (bias != nullptr) {
#pragma omp simd
      for (int c = 0; c < cols; ++c) orow[c] = xr[c] + bias[c] + rr[c];
    } else {
#pragma omp simd
      for (int c = 0; c < cols; ++c) orow[c] = xr[c] + rr[c];
    }
    rows::normalize(orow, cols, gamma, beta, eps);
  }
}

UNINLU_SIMD_CLONES void layernorm_row_impl(float* row, int cols, const float* gamma, const float* beta, float eps) {
  rows::normalize(row, cols, gamma, beta, eps);
}

}  // namespace

void bias_residual_layernorm(const float* x, const float* bias, const float* residual, float* out, int rows, int cols,
                             const LayerNormParams& params) {
  if (!worth_parallel(rows, cols)) {
    bias_residual_layernorm_rows(x, bias, residual, out, rows, cols, params.gamma, params.beta, params.eps);
    return;
  }
#pragma omp parallel for schedule(static)
  for (int r = 0; r < rows; ++r) {
    const std::int64_t base = static_cast<std::int64_t>(r) * cols;
    bias_residual_layernorm_rows(x + base, bias, residual + base, out + base, 1, cols, params.gamma, params.beta,
                                 params.eps);
  }
}

void layernorm_row(float* row, int cols, const LayerNormParams& params) {
  layernorm_row_impl(row, cols, params.gamma, params.beta, params.eps);
}

}  // namespace uninlu::cpu
