#include "kernels/cpu/layernorm.h"

#include <cmath>
#include <cstdint>

#include "kernels/cpu/parallel.h"
#include "kernels/cpu/simd.h"

namespace uninlu::cpu {
namespace {

// Two passes (mean, then the mean of squared deviations) as PyTorch does: one-pass E[x^2]-E[x]^2
// loses digits when the mean is large against the spread.
UNINLU_INLINE void normalize(float* row, int cols, const float* gamma, const float* beta, float eps) {
  float sum = 0.0f;
#pragma omp simd reduction(+ : sum)
  for (int c = 0; c < cols; ++c) sum += row[c];
  const float mean = sum / static_cast<float>(cols);
  float squares = 0.0f;
#pragma omp simd reduction(+ : squares)
  for (int c = 0; c < cols; ++c) {
    const float d = row[c] - mean;
    squares += d * d;
  }
  const float inv_std = 1.0f / std::sqrt(squares / static_cast<float>(cols) + eps);
#pragma omp simd
  for (int c = 0; c < cols; ++c) row[c] = (row[c] - mean) * inv_std * gamma[c] + beta[c];
}

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
    normalize(orow, cols, gamma, beta, eps);
  }
}

UNINLU_SIMD_CLONES void layernorm_row_impl(float* row, int cols, const float* gamma, const float* beta, float eps) {
  normalize(row, cols, gamma, beta, eps);
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
