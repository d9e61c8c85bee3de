#include "kernels/cpu/int8_epilogue.h"

#include "kernels/cpu/parallel.h"
#include "kernels/cpu/row_ops.h"

namespace uninlu::cpu {
namespace {

UNINLU_SIMD_CLONES void gelu_quantize_row(const std::int32_t* __restrict acc, float row_scale,
                                          const float* __restrict col_scales, const float* __restrict bias, int cols,
                                          float* __restrict scratch, std::int8_t* __restrict q, float* scale) {
  // Two loops, with the product stored in between, as the separate kernels do: in one expression the
  // compiler could contract the multiply and the bias add into an FMA and round differently.
#pragma omp simd
  for (int c = 0; c < cols; ++c) scratch[c] = rows::dequantize(acc[c], row_scale, col_scales[c]);
#pragma omp simd
  for (int c = 0; c < cols; ++c) scratch[c] = rows::gelu(scratch[c] + bias[c]);
  rows::quantize(scratch, cols, q, scale);
}

UNINLU_SIMD_CLONES void residual_layernorm_row(const std::int32_t* __restrict acc, float row_scale,
                                               const float* __restrict col_scales, const float* __restrict bias,
                                               const float* residual, float* out, float* __restrict scratch, int cols,
                                               const float* gamma,
                                               const float* beta, float eps, std::int8_t* q, float* scale) {
  // The product goes through `scratch` first (see gelu_quantize_row). `out` may alias `residual`: each
  // element is read before it is written.
#pragma omp simd
  for (int c = 0; c < cols; ++c) scratch[c] = rows::dequantize(acc[c], row_scale, col_scales[c]);
#pragma omp simd
  for (int c = 0; c < cols; ++c) out[c] = scratch[c] + bias[c] + residual[c];
  rows::normalize(out, cols, gamma, beta, eps);
  if (q != nullptr) rows::quantize(out, cols, q, scale);
}

}  // namespace

void dequantize_bias_gelu_quantize(const Int8Product& y, const float* bias, int rows, int cols, float* scratch,
                                   const Int8Rows& out) {
  const std::int64_t n = cols;
  const auto row = [&](int r) {
    gelu_quantize_row(y.acc + r * n, y.row_scales[r], y.col_scales, bias, cols, scratch + r * n, out.values + r * n,
                      out.scales + r);
  };
  if (!worth_parallel(rows, cols)) {
    for (int r = 0; r < rows; ++r) row(r);
    return;
  }
#pragma omp parallel for schedule(static)
  for (int r = 0; r < rows; ++r) row(r);
}

void dequantize_bias_residual_layernorm(const Int8Product& y, const float* bias, const float* residual, float* out,
                                        int rows, int cols, float* scratch, const LayerNormParams& params,
                                        const Int8Rows& quantized) {
  const std::int64_t n = cols;
  const auto row = [&](int r) {
    residual_layernorm_row(y.acc + r * n, y.row_scales[r], y.col_scales, bias, residual + r * n, out + r * n,
                           scratch + r * n, cols,
                           params.gamma, params.beta, params.eps,
                           quantized.values != nullptr ? quantized.values + r * n : nullptr,
                           quantized.values != nullptr ? quantized.scales + r : nullptr);
  };
  if (!worth_parallel(rows, cols)) {
    for (int r = 0; r < rows; ++r) row(r);
    return;
  }
#pragma omp parallel for schedule(static)
  for (int r = 0; r < rows; ++r) row(r);
}

}  // namespace uninlu::cpu
