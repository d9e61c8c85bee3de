#pragma once
// The activations of one stage call, kept by the backend and reused across calls. Buffers only grow
// (to the largest batch seen), so a steady stream of requests allocates nothing here.
#include <cstdint>
#include <vector>

#include "engine/token_rows.h"
#include "kernels/cpu/aligned_buffer.h"
#include "kernels/cpu/attention.h"

namespace uninlu {

// Token layout of one stage call: the stacked tokens (embedding stages) and the rows of each sequence.
struct RaggedTokens : TokenRows {
  std::vector<cpu::AttentionSequence> sequences;             // rows of each sequence
  std::vector<cpu::AttentionSequence> last_layer_sequences;  // same, queries pruned (cross stage)

  void clear() noexcept {
    TokenRows::clear();
    sequences.clear();
    last_layer_sequences.clear();
  }
};

struct LayerBuffers {
  cpu::AlignedBuffer<float> qkv;        // [rows, 3 hidden]
  cpu::AlignedBuffer<float> context;    // [rows, hidden]
  cpu::AlignedBuffer<float> projected;  // [rows, hidden]: dense outputs before bias+residual+LN
  cpu::AlignedBuffer<float> attended;   // [rows, hidden]: LN(attention output + x)
  cpu::AlignedBuffer<float> residual;   // [rows, hidden]: x rows kept by a pruned last layer
  cpu::AlignedBuffer<float> ffn;        // [rows, intermediate]
  cpu::AlignedBuffer<float> scores;     // attention scratch, per thread
  // Int8 layers (fused epilogues): quantised GEMM inputs with their row scales, and s32 GEMM outputs.
  cpu::AlignedBuffer<std::int8_t> quantized;      // [rows, hidden]: context, then LN(attention) rows
  cpu::AlignedBuffer<float> quantized_scales;     // [rows]
  cpu::AlignedBuffer<std::int8_t> quantized_ffn;  // [rows, intermediate]: gelu output
  cpu::AlignedBuffer<float> ffn_scales;           // [rows]
  cpu::AlignedBuffer<std::int32_t> accumulators;  // [rows, max(hidden, intermediate)]
};

struct Workspace {
  RaggedTokens tokens;
  cpu::AlignedBuffer<float> hidden;        // [rows, hidden]: the stage's running states
  cpu::AlignedBuffer<float> hint_compute;  // [rows, hidden]: the hint stage on the hints not cached
  cpu::AlignedBuffer<float> logits;        // [rows, 2]: head | tail
  LayerBuffers layer;
};

}  // namespace uninlu
