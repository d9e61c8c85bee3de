#pragma once
// BERT embeddings on the device: out[r] = LayerNorm(word[ids[r]] + position[positions[r]] +
// token_type[types[r]]), fp32, plus a copy in the GEMM type for the first layer's QKV GEMM.
#include <cuda_runtime_api.h>

#include <cstdint>

#include "kernels/cuda/cuda_dtype.h"

namespace uninlu::cuda {

struct DeviceEmbeddingTables {
  const float* word = nullptr;        // [vocab, hidden]
  const float* position = nullptr;    // [max_positions, hidden]
  const float* token_type = nullptr;  // [type_vocab, hidden]
  const float* gamma = nullptr;       // [hidden]
  const float* beta = nullptr;        // [hidden]
  float eps = 1e-12f;
  int hidden = 0;
};

// ids, positions, types: device arrays of `rows` entries, already validated (indices in range).
// out: [rows, hidden] fp32; out_low: [rows, hidden] of `low_type`, or null for none.
void embed_tokens(const DeviceEmbeddingTables& tables, const std::int32_t* ids, const std::int32_t* positions,
                  const std::int32_t* types, int rows, float* out, void* out_low, GemmType low_type,
                  cudaStream_t stream);

}  // namespace uninlu::cuda
