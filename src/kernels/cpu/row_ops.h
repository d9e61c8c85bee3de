#pragma once
// Row operations shared by the elementwise kernels and the fused int8 epilogues, as always-inline
// helpers: a fused kernel computes exactly what the separate kernels compute (same operations in the
// same order), so fusing changes speed, not results. Call them only from UNINLU_SIMD_CLONES functions.
#include <algorithm>
#include <cmath>
#include <cstdint>

#include "kernels/cpu/simd.h"

namespace uninlu::cpu::rows {

// BERT's exact GELU: 0.5 v (1 + erf(v / sqrt 2)).
UNINLU_INLINE float gelu(float v) noexcept {
  constexpr float kInvSqrt2 = 0.70710678118654752f;
  return 0.5f * v * (1.0f + erf_approx(v * kInvSqrt2));
}

// LayerNorm of one row in place. Two passes (mean, then the mean of squared deviations) as PyTorch
// does: one-pass E[x^2]-E[x]^2 loses digits when the mean is large against the spread.
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

// Symmetric int8 quantisation of one row: scale = max|x| / limit (1 for an all-zero row), q = round(x /
// scale) with ties away from zero, in [-limit, limit] (limit 127, or 63 for weights without VNNI).
UNINLU_INLINE void quantize(const float* __restrict x, int cols, std::int8_t* __restrict q, float* scale,
                            float limit = 127.0f) {
  float largest = 0.0f;
#pragma omp simd reduction(max : largest)
  for (int c = 0; c < cols; ++c) largest = std::max(largest, std::abs(x[c]));
  const float s = largest > 0.0f ? largest / limit : 1.0f;
  const float inverse = 1.0f / s;
  const int top = static_cast<int>(limit);
#pragma omp simd
  for (int c = 0; c < cols; ++c) {
    const float v = x[c] * inverse;
    const float rounded = v + (v < 0.0f ? -0.5f : 0.5f);  // truncation below makes it round half away
    q[c] = static_cast<std::int8_t>(std::min(std::max(static_cast<int>(rounded), -top), top));
  }
  *scale = s;
}

// y = acc * row_scale * col_scales (the int8 GEMM's dequantisation, bias not included).
UNINLU_INLINE float dequantize(std::int32_t acc, float row_scale, float col_scale) noexcept {
  return static_cast<float>(acc) * row_scale * col_scale;
}

}  // namespace uninlu::cpu::rows
