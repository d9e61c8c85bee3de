#include "engine/cuda/host/batch_budget.h"

#include <algorithm>

namespace uninlu::cuda {
namespace {
constexpr std::size_t kGiB = std::size_t{1} << 30;
}  // namespace

std::size_t preset_tokens(std::size_t total_bytes) {
  if (total_bytes >= 40 * kGiB) return 16384;
  if (total_bytes >= 16 * kGiB) return 8192;
  return 4096;
}

std::size_t tokens_that_fit(std::size_t free_bytes, std::size_t bytes_per_token) {
  if (free_bytes <= kBudgetHeadroomBytes) return 0;
  const double usable = static_cast<double>(free_bytes - kBudgetHeadroomBytes) * kBudgetSafety;
  return static_cast<std::size_t>(usable / static_cast<double>(std::max<std::size_t>(bytes_per_token, 1)));
}

BudgetPlan plan_batch_budget(const BudgetInputs& in) {
  BudgetPlan p;
  p.fits = tokens_that_fit(in.free_bytes, in.bytes_per_token);
  if (in.requested_tokens != 0) {
    p.max_batch_tokens = in.requested_tokens;
    // Never less than one item (a lone item may exceed a small budget), never more than what fits.
    p.reserve_tokens = std::max(std::min(in.requested_tokens, p.fits), kBudgetMinTokens);
    if (in.requested_tokens > p.fits) {
      p.why = "max_batch_tokens as configured, more than fits: the arena is reserved for what fits";
    } else {
      p.why = "max_batch_tokens as configured";
    }
    return p;
  }
  const std::size_t preset = preset_tokens(in.total_bytes);
  p.too_small = p.fits < kBudgetMinTokens;
  p.max_batch_tokens = std::min(preset, p.fits);
  p.reserve_tokens = std::max(p.max_batch_tokens, kBudgetMinTokens);
  p.why = p.max_batch_tokens == preset ? "preset for a " + std::to_string(in.total_bytes / kGiB) + " GiB card"
                                       : "what its free memory fits";
  return p;
}

}  // namespace uninlu::cuda
