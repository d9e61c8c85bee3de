#include "kernels/cpu/embedding.h"

#include <cstddef>
#include <cstdint>

#include "kernels/cpu/parallel.h"
#include "kernels/cpu/simd.h"

namespace uninlu::cpu {
namespace {

UNINLU_SIMD_CLONES void sum_rows(const float* __restrict a, const float* __restrict b, const float* __restrict c,
                                 float* __restrict out, int cols) {
#pragma omp simd
  for (int i = 0; i < cols; ++i) out[i] = a[i] + b[i] + c[i];
}

void embed_row(const EmbeddingTables& t, std::int32_t id, std::int32_t position, std::int32_t type, float* out) {
  const std::int64_t h = t.hidden;
  sum_rows(t.word + id * h, t.position + position * h, t.token_type + type * h, out, t.hidden);
  layernorm_row(out, t.hidden, t.norm);
}

}  // namespace

void embed_tokens(const EmbeddingTables& tables, std::span<const std::int32_t> ids,
                  std::span<const std::int32_t> positions, std::span<const std::int32_t> types, float* out) {
  const int rows = static_cast<int>(ids.size());
  const std::int64_t h = tables.hidden;
  if (!worth_parallel(rows, h)) {
    for (int r = 0; r < rows; ++r) {
      const auto i = static_cast<std::size_t>(r);
      embed_row(tables, ids[i], positions[i], types[i], out + r * h);
    }
    return;
  }
#pragma omp parallel for schedule(static)
  for (int r = 0; r < rows; ++r) {
    const auto i = static_cast<std::size_t>(r);
    embed_row(tables, ids[i], positions[i], types[i], out + r * h);
  }
}

}  // namespace uninlu::cpu
