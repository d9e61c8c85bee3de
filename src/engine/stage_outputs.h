#pragma once
// A stage's output, stacked row by row in batch order, split into one answer per input: the same on
// every backend.
#include <memory>
#include <span>
#include <vector>

#include "engine/backend.h"

namespace uninlu {

// `rows` rows of `hidden` floats from `states`.
TextStates copy_states(const float* states, int rows, int hidden);

// The text stage's output [sum of window lengths, hidden]: one TextStates per window.
std::vector<std::shared_ptr<const TextStates>> split_text_states(const float* states,
                                                                 std::span<const TextInput> batch, int hidden);

// The heads' output [sum of text lengths, 2] (head, tail per text row): one SpanLogits per cross item.
std::vector<SpanLogits> split_span_logits(const float* logits, std::span<const CrossInput> batch);

}  // namespace uninlu
