#include "kernels/cpu/convert.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>

#include "kernels/cpu/parallel.h"
#include "kernels/cpu/row_ops.h"

namespace uninlu::cpu {
namespace {

UNINLU_INLINE std::uint16_t bf16_bits(float x) noexcept {
  const std::uint32_t bits = std::bit_cast<std::uint32_t>(x);
  const bool is_nan = (bits & 0x7fffffffu) > 0x7f800000u;
  const std::uint32_t rounded = bits + 0x7fffu + ((bits >> 16) & 1u);
  return static_cast<std::uint16_t>(is_nan ? ((bits >> 16) | 0x40u) : (rounded >> 16));
}

UNINLU_SIMD_CLONES void float_to_bf16_serial(const float* __restrict in, std::uint16_t* __restrict out,
                                             std::int64_t count) {
#pragma omp simd
  for (std::int64_t i = 0; i < count; ++i) out[i] = bf16_bits(in[i]);
}

UNINLU_SIMD_CLONES void round_to_bf16_serial(const float* __restrict in, float* __restrict out, std::int64_t count) {
#pragma omp simd
  for (std::int64_t i = 0; i < count; ++i) {
    out[i] = std::bit_cast<float>(static_cast<std::uint32_t>(bf16_bits(in[i])) << 16);
  }
}

UNINLU_SIMD_CLONES void quantize_row(const float* __restrict x, int cols, std::int8_t* __restrict q, float* scale,
                                     int limit) {
  rows::quantize(x, cols, q, scale, static_cast<float>(limit));
}

UNINLU_SIMD_CLONES void dequantize_row(const std::int32_t* __restrict acc, int cols, float row_scale,
                                       const float* __restrict col_scales, const float* __restrict bias,
                                       float* __restrict y) {
  if (bias != nullptr) {
#pragma omp simd
    for (int c = 0; c < cols; ++c) y[c] = rows::dequantize(acc[c], row_scale, col_scales[c]) + bias[c];
  } else {
#pragma omp simd
    for (int c = 0; c < cols; ++c) y[c] = rows::dequantize(acc[c], row_scale, col_scales[c]);
  }
}

// Runs serial(begin, n) over `count` elements in chunks, on the OpenMP team when the work is worth it.
template <class Serial>
void over_chunks(std::int64_t count, Serial serial) {
  constexpr std::int64_t kChunk = 16 * 1024;
  if (!worth_parallel(count, 1)) {
    serial(0, count);
    return;
  }
  const std::int64_t chunks = (count + kChunk - 1) / kChunk;
#pragma omp parallel for schedule(static)
  for (std::int64_t c = 0; c < chunks; ++c) {
    const std::int64_t begin = c * kChunk;
    serial(begin, std::min(kChunk, count - begin));
  }
}

}  // namespace

void float_to_bf16(const float* in, std::uint16_t* out, std::int64_t count) {
  over_chunks(count, [&](std::int64_t begin, std::int64_t n) { float_to_bf16_serial(in + begin, out + begin, n); });
}

void round_to_bf16(const float* in, float* out, std::int64_t count) {
  over_chunks(count, [&](std::int64_t begin, std::int64_t n) { round_to_bf16_serial(in + begin, out + begin, n); });
}

void quantize_rows_s8(const float* x, int rows, int cols, std::int8_t* q, float* scales, int limit) {
  const std::int64_t n = cols;
  if (!worth_parallel(rows, cols)) {
    for (int r = 0; r < rows; ++r) quantize_row(x + r * n, cols, q + r * n, scales + r, limit);
    return;
  }
#pragma omp parallel for schedule(static)
  for (int r = 0; r < rows; ++r) quantize_row(x + r * n, cols, q + r * n, scales + r, limit);
}

void dequantize_rows_s32(const std::int32_t* acc, int rows, int cols, const float* row_scales, const float* col_scales,
                         const float* bias, float* y) {
  const std::int64_t n = cols;
  if (!worth_parallel(rows, cols)) {
    for (int r = 0; r < rows; ++r) dequantize_row(acc + r * n, cols, row_scales[r], col_scales, bias, y + r * n);
    return;
  }
#pragma omp parallel for schedule(static)
  for (int r = 0; r < rows; ++r) dequantize_row(acc + r * n, cols, row_scales[r], col_scales, bias, y + r * n);
}

}  // namespace uninlu::cpu
