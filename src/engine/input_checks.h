#pragma once
// The checks every backend makes on a batch before running it, so that a bad item is an InvalidInput
// error naming that item, never an out-of-bounds read in a kernel. Shared by the CPU and CUDA backends.
#include <cstddef>
#include <cstdint>
#include <span>

#include "engine/backend.h"

namespace uninlu {

// Token ids inside the vocabulary, positions inside the position table. `what` and `index` name the
// item in the message ("hint 3").
void check_token_sequence(std::span<const std::int32_t> ids, int position_offset, const char* what, std::size_t index,
                          int vocab, int max_positions);

// A cross item's text states: present, len x hidden, and its hint placed after the text window.
void check_cross_text_states(const CrossInput& item, std::size_t index, int hidden);

// Every item of a run_text / run_hint / run_cross batch, in order (a cross batch: every item's text
// states, then every item's hint).
void check_text_batch(std::span<const TextInput> batch, int vocab, int max_positions);
void check_hint_batch(std::span<const HintInput> batch, int vocab, int max_positions);
void check_cross_batch(std::span<const CrossInput> batch, int hidden, int vocab, int max_positions);

}  // namespace uninlu
