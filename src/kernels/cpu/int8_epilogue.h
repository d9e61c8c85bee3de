#pragma once
// Fused epilogues for int8 layers: the dequantisation of an int8 GEMM's s32 output, the elementwise
// kernel that follows it, and (where the next GEMM is int8 too) the quantisation of the result, in one
// pass over the rows instead of three. Each computes exactly what dequantize_rows_s32 +
// bias_gelu / bias_residual_layernorm + quantize_rows_s8 compute one after the other.
#include <cstdint>

#include "kernels/cpu/layernorm.h"

namespace uninlu::cpu {

// An int8 GEMM's raw output: acc[rows, cols] (s32) with y = acc * row_scales[r] * col_scales[c].
struct Int8Product {
  const std::int32_t* acc = nullptr;
  const float* row_scales = nullptr;
  const float* col_scales = nullptr;
};

// A quantised output: q[rows, cols] (s8) and one scale per row.
struct Int8Rows {
  std::int8_t* values = nullptr;
  float* scales = nullptr;
};

// q = quantize(gelu(y + bias)), row by row. `scratch` holds rows x cols floats (the GELU output, kept
// only while its row is quantised).
void dequantize_bias_gelu_quantize(const Int8Product& y, const float* bias, int rows, int cols, float* scratch,
                                   const Int8Rows& out);

// out = LayerNorm(y + bias + residual) (`out` may be `residual`), and when `quantized.values` is not
// null also quantized = quantize(out). `scratch` holds rows x cols floats.
void dequantize_bias_residual_layernorm(const Int8Product& y, const float* bias, const float* residual, float* out,
                                        int rows, int cols, float* scratch, const LayerNormParams& params,
                                        const Int8Rows& quantized = {});

}  // namespace uninlu::cpu
