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
#include "kernels/cuda/cuda_backend.h"
#include "kernels/cuda/cuda_runtime_info.h"
#include "kernels/cuda/model_image.h"

namespace uninlu {
namespace {

constexpr std::size_t kMiB = std::size_t{1} << 20;
constexpr std::size_t kGiB = std::size_t{1} << 30;
// Left free for what the arena does not hold: the CUDA context's own growth, cuBLASLt, NVML, other
// processes' small allocations.
constexpr std::size_t kHeadroomBytes = 512 * kMiB;
constexpr double kSafety = 0.8;           // of the rest, the share batches may plan on
constexpr std::size_t kMinTokens = 512;   // one item at most: a 384-token window and a 128-token hint

// Default budgets by card size (overridable: an explicit max_batch_tokens wins). Beyond ~16K tokens a
// batch only adds latency: the GEMMs are already large enough to fill the GPU.
std::size_t preset_tokens(std::size_t total_bytes) {
  if (total_bytes >= 40 * kGiB) return 16384;
  if (total_bytes >= 16 * kGiB) return 8192;
  return 4096;
}

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
  const double usable = free_bytes > kHeadroomBytes ? static_cast<double>(free_bytes - kHeadroomBytes) * kSafety : 0.0;
  const auto fits = static_cast<std::size_t>(usable / static_cast<double>(per_token));
  const std::size_t preset = preset_tokens(total_bytes);
  const bool explicit_budget = options.scheduler.max_batch_tokens != 0;
  std::size_t tokens = 0;
  std::string why;
  if (explicit_budget) {
    tokens = options.scheduler.max_batch_tokens;
    why = "max_batch_tokens as configured";
    if (tokens > fits) {
      spdlog::warn("{}: max_batch_tokens {} is more than the {} tokens its free memory is planned for; large batches "
                   "may run out of memory (and then move to another device)",
                   device.name, tokens, fits);
    }
  } else {
    if (fits < kMinTokens) {
      fail(ErrorKind::Usage, device.name + " has " + std::to_string(free_bytes / kMiB) +
                                 " MiB free after the weights: too little for one " + std::to_string(kMinTokens) +
                                 "-token batch (" + std::to_string(per_token) + " bytes per token); free the GPU or "
                                 "use another device");
    }
    tokens = std::min(preset, fits);
    why = tokens == preset ? "preset for a " + std::to_string(total_bytes / kGiB) + " GiB card"
                           : "what its free memory fits";
  }
  backend.reserve_tokens(std::max(tokens, kMinTokens));
  device.max_batch_tokens = tokens;
  spdlog::info("{}: {}; max_batch_tokens {} ({}; {} KiB per token, {} MiB free before the arena, fits {})",
               device.name, backend.describe(), tokens, why, per_token / 1024, free_bytes / kMiB, fits);
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
