#pragma once
// The hint stage's bookkeeping for one call, the same on every backend: which hints are distinct
// (hint_dedup.h), which distinct hints the cache holds (hint_cache.h), which ones the stage computes and
// where every hint's states are afterwards. The backend runs the stage on missed() only, stacked in that
// order, and hands its output back here.
#include <cstddef>
#include <span>
#include <vector>

#include "engine/backend.h"
#include "engine/hint_cache.h"
#include "engine/hint_dedup.h"

namespace uninlu {

class HintPlan {
 public:
  // Groups `hints` (each distinct (ids, position_offset) once when `deduplicate`) and looks every distinct
  // hint up in `cache`. `hints` must outlive the plan's use; cached states stay valid until the cache's
  // next insert, so remember() comes after every read of them.
  void prepare(std::span<const HintInput> hints, bool deduplicate, HintCache& cache);

  std::size_t unique_count() const noexcept { return cached_.size(); }
  std::size_t unique_of(std::size_t hint) const { return static_cast<std::size_t>(groups_.unique_of[hint]); }
  const HintInput& unique_hint(std::size_t u) const {
    return hints_[static_cast<std::size_t>(groups_.unique_first[u])];
  }
  // Distinct hint u's cached states [ids, hidden], or null when the stage computes them.
  const float* cached(std::size_t u) const { return cached_[u]; }
  // The distinct hints the stage computes, in the order it stacks them.
  std::span<const int> missed() const noexcept { return missed_; }
  // First row of distinct hint u's states in the stage's output; -1 when cached.
  int computed_row(std::size_t u) const { return computed_row_[u]; }
  int computed_rows() const noexcept { return computed_rows_; }

  // Hint i's states: in the cache or in `computed` (the stage's output, [computed_rows(), hidden]).
  const float* states(std::size_t hint, const float* computed, int hidden) const;
  // A copy of every hint's states, one per hint of prepare()'s batch (run_hint's answer).
  std::vector<TextStates> states_per_hint(const float* computed, int hidden) const;
  // Stores the computed states in `cache`. Inserting may evict entries that cached() pointed to.
  void remember(const float* computed, int hidden, HintCache& cache) const;

 private:
  std::span<const HintInput> hints_;
  HintGroups groups_;
  std::vector<const float*> cached_;  // per distinct hint
  std::vector<int> missed_;           // distinct hints to compute
  std::vector<int> computed_row_;     // per distinct hint
  int computed_rows_ = 0;
};

}  // namespace uninlu
