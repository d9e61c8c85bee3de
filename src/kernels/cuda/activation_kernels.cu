#include <cstdint>

#include "kernels/cuda/activation_kernels.h"
#include "kernels/cuda/cuda_error.h"
#include "kernels/cuda/device_common.cuh"

namespace uninlu::cuda {
namespace {

// Grid-stride over every element; each element is read and written by one thread, so in place is safe.
template <class T>
__global__ void bias_gelu_kernel(const float* x, const float* bias, T* out, std::int64_t count, int cols) {
  constexpr float kInvSqrt2 = 0.70710678118654752f;
  const std::int64_t stride = static_cast<std::int64_t>(gridDim.x) * blockDim.x;
  for (std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < count; i += stride) {
    const float v = x[i] + bias[i % cols];
    out[i] = device::from_float<T>(0.5f * v * (1.0f + erff(v * kInvSqrt2)));
  }
}

}  // namespace

void bias_gelu(const float* x, const float* bias, void* out, GemmType out_type, int rows, int cols,
               cudaStream_t stream) {
  const std::int64_t count = static_cast<std::int64_t>(rows) * cols;
  if (count <= 0) return;
  constexpr int kThreads = 256;
  // Enough blocks to fill any current GPU several times over; the grid-stride loop covers the rest.
  const std::int64_t wanted = (count + kThreads - 1) / kThreads;
  const unsigned blocks = static_cast<unsigned>(wanted < 65536 ? wanted : 65536);
  device::dispatch_gemm_type(out_type, [&](auto tag) {
    using T = typename decltype(tag)::type;
    bias_gelu_kernel<T><<<blocks, kThreads, 0, stream>>>(x, bias, static_cast<T*>(out), count, cols);
  });
  UNINLU_CUDA_CHECK_LAUNCH();
}

}  // namespace uninlu::cuda
