#include "kernels/cuda/copy_kernels.h"
#include "kernels/cuda/cuda_error.h"
#include "kernels/cuda/device_common.cuh"

namespace uninlu::cuda {
namespace {

// One block per destination row.
template <class T>
__global__ void gather_rows_kernel(const float* __restrict__ src, const float* __restrict__ alt_src,
                                   const std::int32_t* __restrict__ source_rows, int cols, float* __restrict__ dst,
                                   T* __restrict__ dst_low) {
  const std::int64_t r = blockIdx.x;
  const std::int32_t s = source_rows[r];
  const float* from = s >= 0 ? src + static_cast<std::int64_t>(s) * cols
                             : alt_src + (-1 - static_cast<std::int64_t>(s)) * cols;
  float* to = dst + r * cols;
  for (int c = static_cast<int>(threadIdx.x); c < cols; c += static_cast<int>(blockDim.x)) {
    const float v = from[c];
    to[c] = v;
    if (dst_low != nullptr) dst_low[r * cols + c] = device::from_float<T>(v);
  }
}

}  // namespace

void gather_rows(const float* src, const float* alt_src, const std::int32_t* source_rows, int rows, int cols,
                 float* dst, void* dst_low, GemmType low_type, cudaStream_t stream) {
  if (rows <= 0) return;
  const unsigned threads = device::row_block_threads(cols);
  device::dispatch_gemm_type(low_type, [&](auto tag) {
    using T = typename decltype(tag)::type;
    gather_rows_kernel<T><<<static_cast<unsigned>(rows), threads, 0, stream>>>(src, alt_src, source_rows, cols, dst,
                                                                              static_cast<T*>(dst_low));
  });
  UNINLU_CUDA_CHECK_LAUNCH();
}

}  // namespace uninlu::cuda
