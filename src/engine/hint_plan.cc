#include "engine/hint_plan.h"

#include "engine/stage_outputs.h"

namespace uninlu {

void HintPlan::prepare(std::span<const HintInput> hints, bool deduplicate, HintCache& cache) {
  hints_ = hints;
  group_hints(hints, deduplicate, groups_);
  const std::size_t unique = groups_.unique_first.size();
  cached_.assign(unique, nullptr);
  computed_row_.assign(unique, -1);
  missed_.clear();
  computed_rows_ = 0;
  for (std::size_t u = 0; u < unique; ++u) {
    const HintInput& hint = unique_hint(u);
    cached_[u] = cache.find(hint.ids, hint.position_offset);
    if (cached_[u] == nullptr) {
      missed_.push_back(static_cast<int>(u));
      computed_row_[u] = computed_rows_;
      computed_rows_ += static_cast<int>(hint.ids.size());
    }
  }
}

const float* HintPlan::states(std::size_t hint, const float* computed, int hidden) const {
  const std::size_t u = unique_of(hint);
  if (cached_[u] != nullptr) return cached_[u];
  return computed + static_cast<std::size_t>(computed_row_[u]) * static_cast<std::size_t>(hidden);
}

std::vector<TextStates> HintPlan::states_per_hint(const float* computed, int hidden) const {
  std::vector<TextStates> out;
  out.reserve(hints_.size());
  for (std::size_t i = 0; i < hints_.size(); ++i) {
    out.push_back(copy_states(states(i, computed, hidden), static_cast<int>(hints_[i].ids.size()), hidden));
  }
  return out;
}

void HintPlan::remember(const float* computed, int hidden, HintCache& cache) const {
  if (!cache.enabled()) return;
  for (const int u : missed_) {
    const HintInput& hint = unique_hint(static_cast<std::size_t>(u));
    cache.insert(hint.ids, hint.position_offset,
                 computed + static_cast<std::size_t>(computed_row_[static_cast<std::size_t>(u)]) *
                                static_cast<std::size_t>(hidden),
                 hidden);
  }
}

}  // namespace uninlu
