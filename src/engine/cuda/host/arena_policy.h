#pragma once
// How big the activation arena (and the pinned staging, same policy) should be before a call, without
// CUDA. The arena is planned at startup for the device's token budget (the "planned reserve"):
//   - a call that fits keeps the arena as it is, except that an arena grown past the plan for an
//     unusually large batch shrinks back to the plan at the next call that fits the plan (the excess is
//     given back to the device instead of being held until restart);
//   - a call larger than the arena grows it to 1.5x its need (similar batches are likely to follow);
//   - an arena emptied by an out-of-memory comes back at the planned size (not 1.5x the next small
//     call, which would reallocate again at the next larger one: allocations on the hot path);
//   - a growth whose 1.5x allocation fails retries at exactly the need (`minimum`).
// Sizes are rounded up to a MiB.
#include <cstddef>

namespace uninlu::cuda {

struct ArenaResize {
  bool change = false;     // reallocate (free first, then allocate: never both blocks at once)
  std::size_t bytes = 0;   // the size to allocate when change
  std::size_t minimum = 0; // when allocating `bytes` runs out of memory, this still serves the call
  bool grows_past_plan = false;  // for the warning
};

ArenaResize plan_arena_resize(std::size_t capacity, std::size_t planned, std::size_t needed) noexcept;

}  // namespace uninlu::cuda
