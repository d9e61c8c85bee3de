#pragma once
// Multi-head self-attention over a ragged batch: every sequence has its own length and attends only to
// its own tokens, so no padding and no mask are needed.
#include <cstdint>
#include <span>

namespace uninlu::cpu {

// One sequence of the batch. Its keys/values are rows [kv_begin, kv_begin + kv_len) of the fused QKV
// matrix; its queries are the first q_len of those rows (q_len < kv_len lets a last layer skip rows
// whose output nobody reads); query i's context goes to row out_begin + i of the output.
struct AttentionSequence {
  int kv_begin = 0;
  int kv_len = 0;
  int q_len = 0;
  int out_begin = 0;
};

struct AttentionShape {
  int heads = 0;
  int head_dim = 0;
  int hidden() const noexcept { return heads * head_dim; }
};

// Floats of scratch that attention() needs for `threads` threads.
std::int64_t attention_scratch_floats(std::span<const AttentionSequence> sequences, int threads);

// qkv: [rows, 3 * hidden], each row Q | K | V with head h in columns h * head_dim .. +head_dim.
// context: [out rows, hidden]. For each sequence and head: softmax(Q Kᵀ / sqrt(head_dim)) V.
// `scratch` holds attention_scratch_floats(sequences, omp threads) floats.
void attention(const float* qkv, float* context, std::span<const AttentionSequence> sequences,
               const AttentionShape& shape, std::span<float> scratch);

// Row-wise softmax in place over [rows, cols] (exposed for tests).
void softmax_rows(float* x, int rows, int cols);

}  // namespace uninlu::cpu
