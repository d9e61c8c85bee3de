#pragma once
// Element type conversions for reduced-precision GEMM inputs and outputs.
#include <cstdint>

namespace uninlu::cpu {

// bfloat16 bits of each float, rounded to nearest even (NaN stays NaN).
void float_to_bf16(const float* in, std::uint16_t* out, std::int64_t count);

// Dynamic symmetric int8 quantisation, one scale per row: scales[r] = max |x[r, :]| / 127 (1 for an
// all-zero row) and q[r, c] = round(x[r, c] / scales[r]), ties away from zero, in [-127, 127].
void quantize_rows_s8(const float* x, int rows, int cols, std::int8_t* q, float* scales);

// y[r, c] = acc[r, c] * row_scales[r] * col_scales[c] (+ bias[c] when bias is not null).
void dequantize_rows_s32(const std::int32_t* acc, int rows, int cols, const float* row_scales, const float* col_scales,
                         const float* bias, float* y);

}  // namespace uninlu::cpu
