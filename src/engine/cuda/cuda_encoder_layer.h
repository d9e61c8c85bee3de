#pragma once
// One BERT encoder layer (post-LayerNorm) on the device, over a ragged batch stacked into one [rows, H]
// matrix, mirroring engine/cpu/encoder_layer (the CPU's PackedEncoderLayer):
//   qkv = x·Wqkvᵀ (fp32 out)  ->  ctx = attention(qkv + bqkv) per sequence  ->
//   a = LN(ctx·Woᵀ + bo + x)  ->  y = LN(gelu(a·W1ᵀ + b1)·W2ᵀ + b2 + a)
// The residual stream (x, a, y) stays fp32; each GEMM's input also exists in the GEMM type (written by
// the kernel that produced it), so with fp16/bf16 a layer converts nothing on its own.
#include <cuda_runtime_api.h>

#include <cstdint>
#include <span>
#include <vector>

#include "kernels/cuda/attention_kernels.h"
#include "kernels/cuda/cuda_dtype.h"
#include "engine/cuda/device_arena.h"
#include "engine/cuda/gemm_lt.h"
#include "kernels/cuda/layernorm_kernels.h"
#include "engine/cuda/model_image.h"

namespace uninlu::cuda {

// A layer's weights on the device (pointers into an uploaded model part).
struct DeviceLayer {
  const void* qkv_weight = nullptr;  // [3H, H] gemm type
  const float* qkv_bias = nullptr;   // [3H]
  const void* output_weight = nullptr;
  const float* output_bias = nullptr;
  DeviceLayerNorm attention_norm;
  const void* ffn1_weight = nullptr;  // [I, H]
  const float* ffn1_bias = nullptr;
  const void* ffn2_weight = nullptr;  // [H, I]
  const float* ffn2_bias = nullptr;
  DeviceLayerNorm output_norm;
};
DeviceLayer resolve_layer(const std::byte* base, const LayerOffsets& offsets, float eps);

struct LayerDims {
  int hidden = 0;
  int intermediate = 0;
  AttentionShape attention;
  GemmType type = GemmType::F32;
};

// Device scratch of one layer call for up to `rows` rows; the *_low buffers are null for fp32 (the GEMMs
// then read the fp32 buffers).
struct LayerScratch {
  float* qkv = nullptr;        // [rows, 3H]
  void* context = nullptr;     // [rows, H] gemm type
  float* residual = nullptr;   // [rows, H]: rows a pruned layer keeps
  float* projected = nullptr;  // [rows, H]: dense outputs before bias + residual + LN
  float* attended = nullptr;   // [rows, H]
  void* attended_low = nullptr;
  float* ffn = nullptr;  // [rows, I]
  void* ffn_low = nullptr;
};
LayerScratch carve_layer_scratch(ArenaCarver& arena, int rows, const LayerDims& dims);

// Which rows attend to which, on the host, as the layer's device inputs are built from it.
struct HostAttentionLayout {
  std::vector<AttentionSequence> sequences;
  std::vector<AttentionTile> tiles;
  std::vector<std::int32_t> residual_rows;  // pruned: output row r keeps input row residual_rows[r]
  int out_rows = 0;
  bool pruned = false;  // some q_len < kv_len or out_begin != kv_begin

  void clear();
  // Adds a sequence of rows [kv_begin, kv_begin + kv_len) whose first q_len queries are computed, their
  // outputs at out_begin..
  void add(int kv_begin, int kv_len, int q_len, int out_begin);
  void finish();  // builds tiles (and residual_rows when pruned)
};

// The same on the device.
struct DeviceAttentionLayout {
  const AttentionSequence* sequences = nullptr;
  const AttentionTile* tiles = nullptr;
  int tile_count = 0;
  int out_rows = 0;
  const std::int32_t* residual_rows = nullptr;  // null unless pruned
};

// hidden [rows, H] fp32 (+ hidden_low, its GEMM-type copy, null for fp32) -> [layout.out_rows, H] in
// place (compacted when pruned). All work is enqueued on `stream`.
void encoder_layer_forward(const DeviceLayer& w, const LayerDims& dims, float* hidden, void* hidden_low, int rows,
                           const DeviceAttentionLayout& layout, const LayerScratch& scratch, LtGemm& gemm,
                           cudaStream_t stream);

}  // namespace uninlu::cuda
