#pragma once
// BERT embeddings: word + position + token type, then LayerNorm, one output row per token.
#include <cstdint>
#include <span>

#include "kernels/cpu/layernorm.h"

namespace uninlu::cpu {

struct EmbeddingTables {
  const float* word = nullptr;        // [vocab, hidden]
  const float* position = nullptr;    // [max_positions, hidden]
  const float* token_type = nullptr;  // [type_vocab, hidden]
  LayerNormParams norm;
  int hidden = 0;
};

// out[r] = LayerNorm(word[ids[r]] + position[positions[r]] + token_type[types[r]]), out [rows, hidden].
// The three spans have one entry per row. Indices are not checked here: callers validate them.
void embed_tokens(const EmbeddingTables& tables, std::span<const std::int32_t> ids,
                  std::span<const std::int32_t> positions, std::span<const std::int32_t> types, float* out);

}  // namespace uninlu::cpu
