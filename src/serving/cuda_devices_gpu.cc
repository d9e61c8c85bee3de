// The GPU side of device creation when the build has CUDA (cuda_devices.cc has the CUDA-less stubs).
// docs/gpu.md ("Batch budgets") explains the token budget formula.
#include "serving/cuda_devices.h"

#if UNINLU_WITH_CUDA

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "core/error.h"
#include "engine/cuda/cuda_backend.h"
#include "engine/cuda/cuda_runtime_info.h"
#include "engine/cuda/model_image.h"
#include "engine/cuda/host/batch_budget.h"

namespace uninlu {
namespace {

constexpr std::size_t kMiB = std::size_t{1} << 20;

bool env_flag(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr && std::string_view(v) != "" && std::string_view(v) != "0";
}

// Sets the device's token budget from the memory left after the weights, and sizes its arena for it.
void plan_budget(Device& device, CudaBackend& backend, const ServiceOptions& options) {
  std::size_t free_bytes = SIZE_MAX;
  std::size_t total_bytes = SIZE_MAX;
  for (int d : {backend.device(), backend.cross_device()}) {
    const auto info = cuda::device_memory(d);
    free_bytes = std::min(free_bytes, info.free_bytes);
    total_bytes = std::min(total_bytes, info.total_bytes);
  }
  constexpr std::size_t kProbe = 1024;
  const std::size_t per_token = (backend.activation_bytes(kProbe) + kProbe - 1) / kProbe;
  // The arithmetic (engine/cuda/host/batch_budget.h, tested without a GPU): an explicit budget larger
  // than free memory is kept, with a warning, but the arena and pinned staging are reserved only for what
  // fits, so startup does not fail on the reserve.
  const cuda::BudgetPlan plan =
      cuda::plan_batch_budget({free_bytes, total_bytes, per_token, options.scheduler.max_batch_tokens});
  if (plan.too_small) {
    fail(ErrorKind::Usage, device.name + " has " + std::to_string(free_bytes / kMiB) +
                               " MiB free after the weights: too little for one " +
                               std::to_string(cuda::kBudgetMinTokens) + "-token batch (" + std::to_string(per_token) +
                               " bytes per token); free the GPU or use another device");
  }
  if (plan.max_batch_tokens > plan.fits) {
    spdlog::warn("{}: max_batch_tokens {} is more than the {} tokens its free memory is planned for; the arena is "
                 "reserved for {} tokens, larger batches allocate for themselves and may run out of memory (and then "
                 "move to another device)",
                 device.name, plan.max_batch_tokens, plan.fits, plan.reserve_tokens);
  }
  backend.reserve_tokens(plan.reserve_tokens);
  device.max_batch_tokens = plan.max_batch_tokens;
  spdlog::info("{}: {}; max_batch_tokens {} ({}; {} KiB per token, {} MiB free before the arena, fits {}, reserved "
               "for {})",
               device.name, backend.describe(), plan.max_batch_tokens, plan.why, per_token / 1024, free_bytes / kMiB,
               plan.fits, plan.reserve_tokens);
}

}  // namespace

int cuda_device_count(std::string* why_none) { return cuda::visible_device_count(why_none); }

std::vector<std::unique_ptr<Device>> make_cuda_devices(const std::vector<int>& ordinals, const ServiceOptions& options,
                                                       const ModelDir& model) {
  std::vector<std::unique_ptr<Device>> devices;
  if (ordinals.empty()) return devices;
  if (options.layer_split && ordinals.size() % 2 != 0) {
    fail(ErrorKind::Usage, "layer_split puts each half of the model on its own GPU and needs GPUs in pairs; " +
                               std::to_string(ordinals.size()) + " GPU(s) were given");
  }
  // One host image for every replica: converted once, kept for re-uploads after a device reset.
  const auto image = cuda::build_model_image(model.config, model.weights, options.gpu_precision);
  CudaBackendOptions base;
  base.precision = options.gpu_precision;
  base.allow_tf32 = env_flag("UNINLU_CUDA_TF32");
  base.reserve_tokens = 1;  // plan_budget sizes the arena once the weights are in and free memory is known
  const std::size_t step = options.layer_split ? 2 : 1;
  for (std::size_t i = 0; i < ordinals.size(); i += step) {
    CudaBackendOptions o = base;
    o.device = ordinals[i];
    o.cross_device = options.layer_split ? ordinals[i + 1] : -1;
    auto backend = std::make_unique<CudaBackend>(image, o);
    auto device = std::make_unique<Device>();
    device->name = backend->name();
    device->is_gpu = true;
    plan_budget(*device, *backend, options);
    device->backend = std::move(backend);
    devices.push_back(std::move(device));
  }
  return devices;
}

}  // namespace uninlu

#endif  // UNINLU_WITH_CUDA
