#include <cmath>

#include "core/error.h"
#include "kernels/cuda/attention_kernels.h"
#include "kernels/cuda/cuda_error.h"
#include "kernels/cuda/device_common.cuh"

namespace uninlu::cuda {
namespace {

// Block layout: 4 warps, each owning 4 of the tile's 16 queries. Keys and values stream through shared
// memory 32 at a time (one key per lane). Per query a warp keeps the running max m, the running sum l
// and its slice of the output (lane owns dims lane, lane + 32, ...), rescaled whenever m grows: the
// usual online softmax, all in fp32, so the result equals softmax(QKᵀ/√d)·V up to rounding whatever the
// sequence length (up to 512 here, any length in principle).
constexpr int kWarps = 4;
constexpr int kQueriesPerWarp = 4;
constexpr int kKeyTile = 32;
constexpr int kDimsPerLane = kAttentionMaxHeadDim / 32;
static_assert(kWarps * kQueriesPerWarp == kAttentionQueryTile);

std::size_t shared_bytes(int head_dim) {
  // q [16][d] + k [32][d + 1] (padded so lane j reading row j hits distinct banks) + v [32][d]
  return sizeof(float) * static_cast<std::size_t>(kAttentionQueryTile * head_dim + kKeyTile * (head_dim + 1) +
                                                  kKeyTile * head_dim);
}

template <class T>
__global__ void __launch_bounds__(kWarps * 32)
    attention_kernel(const float* qkv, const float* qkv_bias, const AttentionSequence* sequences,
                     const AttentionTile* tiles, T* context, int heads, int head_dim, float scale) {
  extern __shared__ float shared[];
  const int hidden = heads * head_dim;
  const std::int64_t stride = 3 * static_cast<std::int64_t>(hidden);
  const AttentionTile tile = tiles[blockIdx.x];
  const AttentionSequence seq = sequences[tile.sequence];
  const int head = static_cast<int>(blockIdx.y);
  const int q_count = min(kAttentionQueryTile, seq.q_len - tile.q_begin);
  const int col_q = head * head_dim;
  const int col_k = hidden + col_q;
  const int col_v = 2 * hidden + col_q;
  const int k_pitch = head_dim + 1;

  float* q_s = shared;
  float* k_s = q_s + kAttentionQueryTile * head_dim;
  float* v_s = k_s + kKeyTile * k_pitch;

  // Q of the tile (bias added, pre-scaled by 1/sqrt(d)); rows past q_count are zero and never used.
  for (int i = static_cast<int>(threadIdx.x); i < kAttentionQueryTile * head_dim; i += static_cast<int>(blockDim.x)) {
    const int qi = i / head_dim;
    const int d = i - qi * head_dim;
    float v = 0.0f;
    if (qi < q_count) {
      const std::int64_t row = static_cast<std::int64_t>(seq.kv_begin) + tile.q_begin + qi;
      v = (qkv[row * stride + col_q + d] + qkv_bias[col_q + d]) * scale;
    }
    q_s[i] = v;
  }

  const int warp = static_cast<int>(threadIdx.x) >> 5;
  const int lane = static_cast<int>(threadIdx.x) & 31;
  float m[kQueriesPerWarp];
  float l[kQueriesPerWarp];
  float acc[kQueriesPerWarp][kDimsPerLane];
#pragma unroll
  for (int qq = 0; qq < kQueriesPerWarp; ++qq) {
    m[qq] = -INFINITY;
    l[qq] = 0.0f;
#pragma unroll
    for (int t = 0; t < kDimsPerLane; ++t) acc[qq][t] = 0.0f;
  }

  for (int kv0 = 0; kv0 < seq.kv_len; kv0 += kKeyTile) {
    const int keys = min(kKeyTile, seq.kv_len - kv0);
    __syncthreads();  // Q is written (first tile); the previous K/V tile is consumed (later tiles)
    for (int i = static_cast<int>(threadIdx.x); i < kKeyTile * head_dim; i += static_cast<int>(blockDim.x)) {
      const int j = i / head_dim;
      const int d = i - j * head_dim;
      float k = 0.0f;
      float v = 0.0f;
      if (j < keys) {
        const std::int64_t row = static_cast<std::int64_t>(seq.kv_begin) + kv0 + j;
        k = qkv[row * stride + col_k + d] + qkv_bias[col_k + d];
        v = qkv[row * stride + col_v + d] + qkv_bias[col_v + d];
      }
      k_s[j * k_pitch + d] = k;
      v_s[j * head_dim + d] = v;
    }
    __syncthreads();

#pragma unroll
    for (int qq = 0; qq < kQueriesPerWarp; ++qq) {
      const int qi = warp * kQueriesPerWarp + qq;
      if (qi >= q_count) continue;  // uniform across the warp: the shuffles below see all 32 lanes
      // Lane j scores key j of the tile.
      float score = -INFINITY;
      if (lane < keys) {
        const float* q_row = q_s + qi * head_dim;
        const float* k_row = k_s + lane * k_pitch;
        float dot = 0.0f;
        for (int d = 0; d < head_dim; ++d) dot = fmaf(q_row[d], k_row[d], dot);
        score = dot;
      }
      // Lane 0 always holds a real key, so m_new is finite; exp(-inf - m_new) = 0 for the rest, and the
      // first tile's rescale factor exp(-inf) = 0 clears the empty state.
      const float m_new = fmaxf(m[qq], device::warp_max(score));
      const float p = lane < keys ? expf(score - m_new) : 0.0f;
      const float rescale = expf(m[qq] - m_new);
      l[qq] = l[qq] * rescale + device::warp_sum(p);
#pragma unroll
      for (int t = 0; t < kDimsPerLane; ++t) acc[qq][t] *= rescale;
      for (int j = 0; j < keys; ++j) {
        const float pj = __shfl_sync(device::kFullMask, p, j);
        const float* v_row = v_s + j * head_dim;
#pragma unroll
        for (int t = 0; t < kDimsPerLane; ++t) {
          const int d = lane + 32 * t;
          if (d < head_dim) acc[qq][t] = fmaf(pj, v_row[d], acc[qq][t]);
        }
      }
      m[qq] = m_new;
    }
  }

#pragma unroll
  for (int qq = 0; qq < kQueriesPerWarp; ++qq) {
    const int qi = warp * kQueriesPerWarp + qq;
    if (qi >= q_count) continue;
    const float inv = 1.0f / l[qq];
    T* out = context + (static_cast<std::int64_t>(seq.out_begin) + tile.q_begin + qi) * hidden + col_q;
#pragma unroll
    for (int t = 0; t < kDimsPerLane; ++t) {
      const int d = lane + 32 * t;
      if (d < head_dim) out[d] = device::from_float<T>(acc[qq][t] * inv);
    }
  }
}

}  // namespace

void attention(const float* qkv, const float* qkv_bias, const AttentionSequence* sequences, const AttentionTile* tiles,
               int tile_count, const AttentionShape& shape, void* context, GemmType context_type, cudaStream_t stream) {
  if (tile_count <= 0) return;
  if (shape.head_dim < 1 || shape.head_dim > kAttentionMaxHeadDim || shape.heads < 1 || shape.heads > 65535) {
    fail(ErrorKind::Internal, "attention: unsupported shape (" + std::to_string(shape.heads) + " heads of " +
                                  std::to_string(shape.head_dim) + "); the backend should have refused it");
  }
  const float scale = 1.0f / std::sqrt(static_cast<float>(shape.head_dim));
  const dim3 grid(static_cast<unsigned>(tile_count), static_cast<unsigned>(shape.heads));
  const std::size_t smem = shared_bytes(shape.head_dim);  // at most 41 KB: under the 48 KB default
  device::dispatch_gemm_type(context_type, [&](auto tag) {
    using T = typename decltype(tag)::type;
    attention_kernel<T><<<grid, kWarps * 32, smem, stream>>>(qkv, qkv_bias, sequences, tiles,
                                                             static_cast<T*>(context), shape.heads, shape.head_dim,
                                                             scale);
  });
  UNINLU_CUDA_CHECK_LAUNCH();
}

}  // namespace uninlu::cuda
