#pragma once
// Element type conversions for reduced-precision GEMM inputs and outputs.
#include <cstdint>

namespace uninlu::cpu {

// bfloat16 bits of each float, rounded to nearest even (NaN stays NaN).
void float_to_bf16(const float* in, std::uint16_t* out, std::int64_t count);

// Each float rounded to the nearest bfloat16 value (as float_to_bf16), kept as a float: the input of
// the emulated bf16 GEMM.
void round_to_bf16(const float* in, float* out, std::int64_t count);

// Dynamic symmetric int8 quantisation, one scale per row: scales[r] = max |x[r, :]| / limit (1 for an
// all-zero row) and q[r, c] = round(x[r, c] / scales[r]), ties away from zero, in [-limit, limit].
// limit is at most 127 (63 for weights on CPUs without VNNI: int8_weight_limit in gemm.h).
void quantize_rows_s8(const float* x, int rows, int cols, std::int8_t* q, float* scales, int limit = 127);

// y[r, c] = acc[r, c] * row_scales[r] * col_scales[c] (+ bias[c] when bias is not null).
void dequantize_rows_s32(const std::int32_t* acc, int rows, int cols, const float* row_scales, const float* col_scales,
                         const float* bias, float* y);

}  // namespace uninlu::cpu
