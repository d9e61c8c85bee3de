#include "engine/input_checks.h"

#include <string>

#include "core/error.h"

namespace uninlu {

void check_token_sequence(std::span<const std::int32_t> ids, int position_offset, const char* what, std::size_t index,
                          int vocab, int max_positions) {
  const std::string where = std::string(what) + " " + std::to_string(index);
  if (ids.empty()) fail(ErrorKind::InvalidInput, where + " is empty");
  if (position_offset < 0) {
    fail(ErrorKind::InvalidInput, where + ": negative position_offset " + std::to_string(position_offset));
  }
  if (static_cast<std::int64_t>(position_offset) + static_cast<std::int64_t>(ids.size()) > max_positions) {
    fail(ErrorKind::InvalidInput, where + ": " + std::to_string(ids.size()) + " tokens from position " +
                                      std::to_string(position_offset) + " go past max_position_embeddings (" +
                                      std::to_string(max_positions) + ")");
  }
  for (std::size_t j = 0; j < ids.size(); ++j) {
    if (ids[j] < 0 || ids[j] >= vocab) {
      fail(ErrorKind::InvalidInput, where + ": token id " + std::to_string(ids[j]) + " at " + std::to_string(j) +
                                        " is outside the vocabulary (" + std::to_string(vocab) + " entries)");
    }
  }
}

void check_cross_text_states(const CrossInput& item, std::size_t index, int hidden) {
  const std::string where = "cross item " + std::to_string(index);
  const TextStates* text = item.text.get();
  if (text == nullptr) fail(ErrorKind::InvalidInput, where + " has no text states");
  if (text->len <= 0 || text->hidden != hidden ||
      text->values.size() != static_cast<std::size_t>(text->len) * static_cast<std::size_t>(hidden)) {
    fail(ErrorKind::InvalidInput, where + ": text states are " + std::to_string(text->len) + " x " +
                                      std::to_string(text->hidden) + " with " + std::to_string(text->values.size()) +
                                      " values; this model needs len >= 1 rows of " + std::to_string(hidden));
  }
  if (item.hint.position_offset < text->len) {
    fail(ErrorKind::InvalidInput, where + ": the hint's position_offset " + std::to_string(item.hint.position_offset) +
                                      " is inside the text window (" + std::to_string(text->len) +
                                      " tokens): hint positions start after the (padded) window");
  }
}

void check_text_batch(std::span<const TextInput> batch, int vocab, int max_positions) {
  for (std::size_t i = 0; i < batch.size(); ++i) check_token_sequence(batch[i].ids, 0, "text window", i, vocab, max_positions);
}

void check_hint_batch(std::span<const HintInput> batch, int vocab, int max_positions) {
  for (std::size_t i = 0; i < batch.size(); ++i) {
    check_token_sequence(batch[i].ids, batch[i].position_offset, "hint", i, vocab, max_positions);
  }
}

void check_cross_batch(std::span<const CrossInput> batch, int hidden, int vocab, int max_positions) {
  for (std::size_t i = 0; i < batch.size(); ++i) check_cross_text_states(batch[i], i, hidden);
  for (std::size_t i = 0; i < batch.size(); ++i) {
    check_token_sequence(batch[i].hint.ids, batch[i].hint.position_offset, "hint", i, vocab, max_positions);
  }
}

}  // namespace uninlu
