#include "kernels/cuda/cuda_error.h"
#include "kernels/cuda/device_common.cuh"
#include "kernels/cuda/layernorm_kernels.h"

namespace uninlu::cuda {
namespace {

// One block per row. No __restrict__: `out` may alias `x` or `residual`.
template <class T>
__global__ void bias_residual_layernorm_kernel(const float* x, const float* bias, const float* residual, float* out,
                                               T* out_low, int cols, DeviceLayerNorm norm) {
  __shared__ float scratch[32];
  const std::int64_t base = static_cast<std::int64_t>(blockIdx.x) * cols;
  float* row = out + base;
  for (int c = static_cast<int>(threadIdx.x); c < cols; c += static_cast<int>(blockDim.x)) {
    const float b = bias == nullptr ? 0.0f : bias[c];
    row[c] = x[base + c] + b + residual[base + c];
  }
  device::layernorm_row(row, cols, norm.gamma, norm.beta, norm.eps, out_low == nullptr ? nullptr : out_low + base,
                        scratch);
}

}  // namespace

void bias_residual_layernorm(const float* x, const float* bias, const float* residual, float* out, void* out_low,
                             GemmType low_type, int rows, int cols, const DeviceLayerNorm& norm, cudaStream_t stream) {
  if (rows <= 0) return;
  const unsigned threads = device::row_block_threads(cols);
  device::dispatch_gemm_type(low_type, [&](auto tag) {
    using T = typename decltype(tag)::type;
    bias_residual_layernorm_kernel<T><<<static_cast<unsigned>(rows), threads, 0, stream>>>(
        x, bias, residual, out, static_cast<T*>(out_low), cols, norm);
  });
  UNINLU_CUDA_CHECK_LAUNCH();
}

}  // namespace uninlu::cuda
