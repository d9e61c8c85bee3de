#include "kernels/cuda/cuda_error.h"
#include "kernels/cuda/device_common.cuh"
#include "kernels/cuda/embedding_kernels.h"

namespace uninlu::cuda {
namespace {

// One block per token: gather and sum the three rows, then LayerNorm the row where it lies.
template <class T>
__global__ void embed_kernel(DeviceEmbeddingTables t, const std::int32_t* ids, const std::int32_t* positions,
                             const std::int32_t* types, float* out, T* out_low) {
  __shared__ float scratch[32];
  const std::int64_t r = blockIdx.x;
  const std::int64_t h = t.hidden;
  const float* word = t.word + static_cast<std::int64_t>(ids[r]) * h;
  const float* position = t.position + static_cast<std::int64_t>(positions[r]) * h;
  const float* type = t.token_type + static_cast<std::int64_t>(types[r]) * h;
  float* row = out + r * h;
  for (int c = static_cast<int>(threadIdx.x); c < t.hidden; c += static_cast<int>(blockDim.x)) {
    row[c] = word[c] + position[c] + type[c];
  }
  device::layernorm_row(row, t.hidden, t.gamma, t.beta, t.eps, out_low == nullptr ? nullptr : out_low + r * h,
                        scratch);
}

}  // namespace

void embed_tokens(const DeviceEmbeddingTables& tables, const std::int32_t* ids, const std::int32_t* positions,
                  const std::int32_t* types, int rows, float* out, void* out_low, GemmType low_type,
                  cudaStream_t stream) {
  if (rows <= 0) return;
  const unsigned threads = device::row_block_threads(tables.hidden);
  device::dispatch_gemm_type(low_type, [&](auto tag) {
    using T = typename decltype(tag)::type;
    embed_kernel<T><<<static_cast<unsigned>(rows), threads, 0, stream>>>(tables, ids, positions, types, out,
                                                                        static_cast<T*>(out_low));
  });
  UNINLU_CUDA_CHECK_LAUNCH();
}

}  // namespace uninlu::cuda
