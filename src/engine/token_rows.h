#pragma once
// An embedding stage's tokens, the same on every backend: every sequence stacked into one matrix, no
// padding, one id, position and token type per row. Each backend adds its own attention layout.
#include <cstdint>
#include <span>
#include <vector>

namespace uninlu {

struct TokenRows {
  std::vector<std::int32_t> ids, positions, types;

  int rows() const noexcept { return static_cast<int>(ids.size()); }
  void clear() noexcept {
    ids.clear();
    positions.clear();
    types.clear();
  }
  // Stacks `sequence` at positions position_offset.. with `token_type`; returns its first row.
  int append(std::span<const std::int32_t> sequence, int position_offset, int token_type) {
    const int begin = rows();
    const int n = static_cast<int>(sequence.size());
    ids.insert(ids.end(), sequence.begin(), sequence.end());
    for (int j = 0; j < n; ++j) {
      positions.push_back(position_offset + j);
      types.push_back(token_type);
    }
    return begin;
  }
};

}  // namespace uninlu
