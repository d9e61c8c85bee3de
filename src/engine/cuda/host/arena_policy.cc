#include "engine/cuda/host/arena_policy.h"

#include <algorithm>

namespace uninlu::cuda {
namespace {
constexpr std::size_t kMiB = std::size_t{1} << 20;
constexpr std::size_t round_mib(std::size_t bytes) noexcept { return (bytes + kMiB - 1) / kMiB * kMiB; }
}  // namespace

ArenaResize plan_arena_resize(std::size_t capacity, std::size_t planned, std::size_t needed) noexcept {
  const std::size_t plan = round_mib(planned);
  ArenaResize r;
  if (needed <= capacity) {
    if (capacity > plan && needed <= plan) {  // back to the plan after a large batch
      r.change = true;
      r.bytes = r.minimum = plan;
    }
    return r;
  }
  r.change = true;
  if (needed <= plan) {  // empty (startup, or after an out-of-memory) or below plan: the planned size
    r.bytes = plan;
    r.minimum = round_mib(needed);
    return r;
  }
  r.bytes = round_mib(needed + needed / 2);
  r.minimum = round_mib(needed);
  r.grows_past_plan = true;
  return r;
}

}  // namespace uninlu::cuda
