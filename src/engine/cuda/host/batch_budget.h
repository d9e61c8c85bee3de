#pragma once
// A GPU device's batch token budget and the arena reserve it plans, from free memory (docs/gpu.md,
// "Batch budgets"). Arithmetic only: serving/cuda_devices_gpu.cc measures and acts on it.
#include <cstddef>
#include <string>

namespace uninlu::cuda {

struct BudgetInputs {
  std::size_t free_bytes = 0;       // on the device (the smaller of a layer-split pair), weights loaded
  std::size_t total_bytes = 0;
  std::size_t bytes_per_token = 1;  // arena bytes of a worst-case batch, per token
  std::size_t requested_tokens = 0; // an explicit max_batch_tokens; 0: choose
};

struct BudgetPlan {
  std::size_t max_batch_tokens = 0;  // the scheduler's budget for the device
  std::size_t reserve_tokens = 0;    // what the arena and pinned staging are sized for at startup
  std::size_t fits = 0;              // tokens free memory is planned for
  bool too_small = false;            // not even one full item fits (the caller fails startup)
  std::string why;                   // for the log line
};

// Left free for what the arena does not hold: the CUDA context's own growth, cuBLASLt, NVML, other
// processes' small allocations.
inline constexpr std::size_t kBudgetHeadroomBytes = std::size_t{512} << 20;
inline constexpr double kBudgetSafety = 0.8;         // of the rest, the share batches may plan on
inline constexpr std::size_t kBudgetMinTokens = 512;  // one item at most: a 384-token window and a 128-token hint

// Default budgets by card size. Beyond ~16K tokens a batch only adds latency: the GEMMs already fill the GPU.
std::size_t preset_tokens(std::size_t total_bytes);
std::size_t tokens_that_fit(std::size_t free_bytes, std::size_t bytes_per_token);

// Chosen: min(preset, fits), too_small when fits < kBudgetMinTokens. Explicit: the budget as configured,
// but the reserve never beyond what fits (at least one item): a budget larger than memory warns and
// reserves what fits instead of failing startup on the reserve; batches above it allocate for themselves
// and may run out of memory (and then move to another device).
BudgetPlan plan_batch_budget(const BudgetInputs& in);

}  // namespace uninlu::cuda
