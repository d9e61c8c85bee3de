#include "serving/device_factory.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>

#include "core/error.h"
#include "engine/cpu/cpu_backend.h"
#include "engine/null/null_backend.h"
#include "serving/cuda_devices.h"

namespace uninlu {

namespace {

int parse_ordinal(std::string_view text, const std::string& spec) {
  int value = -1;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < 0) {
    fail(ErrorKind::Usage, "device '" + spec + "': '" + std::string(text) + "' is not a GPU number");
  }
  return value;
}

std::unique_ptr<Device> make_cpu_device(const ServiceOptions& options, const ModelDir& model) {
  auto device = std::make_unique<Device>();
  device->name = "cpu";
  device->is_gpu = false;
  device->backend = make_cpu_backend(model.config, model.weights, {.precision = options.cpu_precision, .threads = options.cpu_threads, .pin_threads = options.cpu_pin_threads});
  device->max_batch_tokens = options.scheduler.max_batch_tokens != 0 ? options.scheduler.max_batch_tokens : kCpuBatchTokens;
  spdlog::info("cpu: {}; {}", describe_cpu_precision(options.cpu_precision), cpu_isa_summary());
  if (cpu_precision_is_emulated(options.cpu_precision)) {
    spdlog::warn("cpu precision {} runs emulated on this CPU and is slower than fp32: use --cpu-precision fp32 "
                 "(or int8) for speed",
                 precision_name(options.cpu_precision));
  }
  return device;
}

std::unique_ptr<Device> make_null_device(const ServiceOptions& options, const ModelDir& model) {
  auto device = std::make_unique<Device>();
  device->name = "null";
  device->is_gpu = false;
  device->backend = make_null_backend(model.config.hidden_size);
  device->max_batch_tokens = options.scheduler.max_batch_tokens != 0 ? options.scheduler.max_batch_tokens : kCpuBatchTokens;
  spdlog::warn("device null: fixed logits, no model work; for benchmarking the host path only, not for answers");
  return device;
}

}  // namespace

DeviceSpec parse_device_spec(const std::string& spec) {
  DeviceSpec out;
  if (spec == "auto") {
    out.all_gpus = true;
  } else if (spec == "cpu") {
    out.use_cpu_only = true;
  } else if (spec == "null") {
    out.use_null = true;
  } else if (spec == "cuda" || spec == "gpu") {
    out.all_gpus = true;
    out.gpus_required = true;
  } else if (spec.rfind("cuda:", 0) == 0 && spec.size() > 5) {
    out.gpus_required = true;
    std::string_view rest(spec);
    rest.remove_prefix(5);
    while (!rest.empty()) {
      const auto comma = rest.find(',');
      const int ordinal = parse_ordinal(rest.substr(0, comma), spec);
      if (std::find(out.gpu_ordinals.begin(), out.gpu_ordinals.end(), ordinal) != out.gpu_ordinals.end()) {
        fail(ErrorKind::Usage, "device '" + spec + "' names cuda:" + std::to_string(ordinal) + " twice");
      }
      out.gpu_ordinals.push_back(ordinal);
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
      if (rest.empty()) fail(ErrorKind::Usage, "device '" + spec + "' ends with a comma");
    }
  } else {
    fail(ErrorKind::Usage, "unknown device '" + spec + "' (expected auto, cpu, cuda, cuda:0, cuda:0,1 or null)");
  }
  return out;
}

std::vector<std::unique_ptr<Device>> create_devices(const ServiceOptions& options, const ModelDir& model) {
  const DeviceSpec spec = parse_device_spec(options.device);
  std::vector<std::unique_ptr<Device>> devices;
  if (spec.use_null) {
    devices.push_back(make_null_device(options, model));
    return devices;
  }
  if (!spec.use_cpu_only) {
    std::string why_none;
    const int visible = cuda_device_count(&why_none);
    std::vector<int> ordinals = spec.gpu_ordinals;
    if (spec.all_gpus) {
      for (int i = 0; i < visible; ++i) ordinals.push_back(i);
    }
    for (int ordinal : ordinals) {
      if (ordinal >= visible) {
        fail(ErrorKind::Usage, "device cuda:" + std::to_string(ordinal) + " was requested but " +
                                   (visible == 0 ? "no GPU is usable (" + why_none + ")"
                                                 : std::to_string(visible) + " GPU(s) are visible"));
      }
    }
    if (ordinals.empty() && spec.gpus_required) {
      fail(ErrorKind::Usage, "device '" + options.device + "' was requested but no GPU is usable (" + why_none + ")");
    }
    if (ordinals.empty()) {
      spdlog::info("no GPU in use ({}): serving on the CPU", why_none);
    }
    for (auto& gpu : make_cuda_devices(ordinals, options, model)) devices.push_back(std::move(gpu));
  }
  // The CPU is always there: the only device without GPUs, the standby for GPU faults and /api/fallback.
  devices.push_back(make_cpu_device(options, model));
  return devices;
}

}  // namespace uninlu
