#pragma once
// Device helpers shared by the kernel families: reductions, conversion to the GEMM element type, the
// LayerNorm of one row, and the dispatch from GemmType to a C++ type. Included by .cu files only.
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <cstdint>

#include "kernels/cuda/cuda_dtype.h"

namespace uninlu::cuda::device {

constexpr unsigned kFullMask = 0xffffffffu;

__device__ __forceinline__ float warp_sum(float v) {
#pragma unroll
  for (int offset = 16; offset > 0; offset >>= 1) v += __shfl_xor_sync(kFullMask, v, offset);
  return v;
}

__device__ __forceinline__ float warp_max(float v) {
#pragma unroll
  for (int offset = 16; offset > 0; offset >>= 1) v = fmaxf(v, __shfl_xor_sync(kFullMask, v, offset));
  return v;
}

// The sum over the block, returned to every thread. blockDim.x must be a multiple of 32; `scratch` holds
// 32 floats in shared memory. Safe to call repeatedly with the same scratch (it synchronises first).
__device__ __forceinline__ float block_sum(float v, float* scratch) {
  const int lane = static_cast<int>(threadIdx.x) & 31;
  const int warp = static_cast<int>(threadIdx.x) >> 5;
  const int warps = static_cast<int>(blockDim.x) >> 5;
  v = warp_sum(v);
  __syncthreads();  // an earlier call's readers are done with scratch
  if (lane == 0) scratch[warp] = v;
  __syncthreads();
  return warp_sum(lane < warps ? scratch[lane] : 0.0f);
}

template <class T>
__device__ __forceinline__ T from_float(float v);
template <>
__device__ __forceinline__ float from_float<float>(float v) {
  return v;
}
template <>
__device__ __forceinline__ __half from_float<__half>(float v) {
  return __float2half_rn(v);
}
template <>
__device__ __forceinline__ __nv_bfloat16 from_float<__nv_bfloat16>(float v) {
  return __float2bfloat16_rn(v);
}

// LayerNorm of row[0, cols) in place, as PyTorch computes it: two passes (mean, then the mean of squared
// deviations) in fp32. Each thread touches only the columns c ≡ threadIdx.x (mod blockDim.x), the same
// ones it wrote before the call, so the row needs no shared memory and no barrier of its own; `low`
// (nullable) receives a copy in the GEMM type.
template <class T>
__device__ __forceinline__ void layernorm_row(float* row, int cols, const float* gamma, const float* beta, float eps,
                                              T* low, float* scratch) {
  float sum = 0.0f;
  for (int c = static_cast<int>(threadIdx.x); c < cols; c += static_cast<int>(blockDim.x)) sum += row[c];
  const float mean = block_sum(sum, scratch) / static_cast<float>(cols);
  float squares = 0.0f;
  for (int c = static_cast<int>(threadIdx.x); c < cols; c += static_cast<int>(blockDim.x)) {
    const float d = row[c] - mean;
    squares += d * d;
  }
  const float inv_std = 1.0f / sqrtf(block_sum(squares, scratch) / static_cast<float>(cols) + eps);
  for (int c = static_cast<int>(threadIdx.x); c < cols; c += static_cast<int>(blockDim.x)) {
    const float v = (row[c] - mean) * inv_std * gamma[c] + beta[c];
    row[c] = v;
    if (low != nullptr) low[c] = from_float<T>(v);
  }
}

// Threads for a one-block-per-row kernel: the row's width rounded up to warps, at most 256.
inline unsigned row_block_threads(int cols) {
  const int warps = (cols + 31) / 32;
  return static_cast<unsigned>(32 * (warps < 1 ? 1 : (warps > 8 ? 8 : warps)));
}

// Calls f(Tag<T>{}) with T the C++ type of `type`.
template <class T>
struct Tag {
  using type = T;
};
template <class F>
void dispatch_gemm_type(GemmType type, F&& f) {
  switch (type) {
    case GemmType::F32: f(Tag<float>{}); return;
    case GemmType::F16: f(Tag<__half>{}); return;
    case GemmType::BF16: f(Tag<__nv_bfloat16>{}); return;
  }
}

}  // namespace uninlu::cuda::device
