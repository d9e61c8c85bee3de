#include "engine/stage_outputs.h"

#include <cstddef>

namespace uninlu {

TextStates copy_states(const float* states, int rows, int hidden) {
  TextStates s;
  s.len = rows;
  s.hidden = hidden;
  s.values.assign(states, states + static_cast<std::size_t>(rows) * static_cast<std::size_t>(hidden));
  return s;
}

std::vector<std::shared_ptr<const TextStates>> split_text_states(const float* states,
                                                                 std::span<const TextInput> batch, int hidden) {
  std::vector<std::shared_ptr<const TextStates>> out;
  out.reserve(batch.size());
  std::size_t row = 0;
  for (const auto& window : batch) {
    const int n = static_cast<int>(window.ids.size());
    out.push_back(std::make_shared<TextStates>(copy_states(states + row * static_cast<std::size_t>(hidden), n, hidden)));
    row += static_cast<std::size_t>(n);
  }
  return out;
}

std::vector<SpanLogits> split_span_logits(const float* logits, std::span<const CrossInput> batch) {
  std::vector<SpanLogits> out(batch.size());
  std::size_t row = 0;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    const auto n = static_cast<std::size_t>(batch[i].text->len);
    auto& result = out[i];
    result.head.resize(n);
    result.tail.resize(n);
    for (std::size_t r = 0; r < n; ++r, ++row) {
      result.head[r] = logits[2 * row];
      result.tail[r] = logits[2 * row + 1];
    }
  }
  return out;
}

}  // namespace uninlu
