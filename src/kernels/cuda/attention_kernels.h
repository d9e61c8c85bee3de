#pragma once
// Multi-head self-attention over a ragged batch on the device: every sequence attends only to its own
// rows, so there is no padding and no mask (a padded key gets exactly zero weight in the reference).
#include <cuda_runtime_api.h>

#include <cstdint>

#include "kernels/cuda/cuda_dtype.h"

namespace uninlu::cuda {

// Same meaning as cpu::AttentionSequence: keys/values are rows [kv_begin, kv_begin + kv_len) of the QKV
// matrix, the queries are the first q_len of them, query i's context goes to output row out_begin + i.
struct AttentionSequence {
  std::int32_t kv_begin = 0;
  std::int32_t kv_len = 0;
  std::int32_t q_len = 0;
  std::int32_t out_begin = 0;
};

// One thread block's work: kAttentionQueryTile queries of one sequence (for every head: grid.y); a
// sequence has ceil(q_len / kAttentionQueryTile) tiles (HostAttentionLayout builds them).
struct AttentionTile {
  std::int32_t sequence = 0;
  std::int32_t q_begin = 0;
};

inline constexpr int kAttentionQueryTile = 16;  // queries per block: 4 warps x 4 queries
inline constexpr int kAttentionMaxHeadDim = 128;

struct AttentionShape {
  int heads = 0;
  int head_dim = 0;  // 1 .. kAttentionMaxHeadDim
  int hidden() const noexcept { return heads * head_dim; }
};

// qkv: [rows, 3 * hidden] fp32 GEMM output without its bias; qkv_bias: [3 * hidden], added here. Row
// layout Q | K | V, head h in columns h * head_dim .. +head_dim of each. context: [out rows, hidden] in
// `context_type`. sequences/tiles: device arrays; `tile_count` tiles. For each sequence and head:
// softmax(Q Kᵀ / sqrt(head_dim)) V, with an online softmax in fp32 (one pass over the keys).
void attention(const float* qkv, const float* qkv_bias, const AttentionSequence* sequences, const AttentionTile* tiles,
               int tile_count, const AttentionShape& shape, void* context, GemmType context_type, cudaStream_t stream);

}  // namespace uninlu::cuda
