#include "monitor/nvml.h"

#include <dlfcn.h>

#include <utility>

#include "monitor/nvml_abi.h"

namespace uninlu {

struct Nvml::Api {
  nvml_abi::InitFn init = nullptr;
  nvml_abi::ShutdownFn shutdown = nullptr;
  nvml_abi::DeviceGetCountFn get_count = nullptr;
  nvml_abi::DeviceGetHandleByIndexFn get_handle = nullptr;
  nvml_abi::DeviceGetUtilizationRatesFn get_utilization = nullptr;
  nvml_abi::DeviceGetMemoryInfoFn get_memory = nullptr;
  nvml_abi::DeviceGetTemperatureFn get_temperature = nullptr;
  nvml_abi::DeviceGetTotalEccErrorsFn get_ecc = nullptr;
  nvml_abi::DeviceGetNameFn get_name = nullptr;
  nvml_abi::DeviceGetUuidFn get_uuid = nullptr;
  nvml_abi::ErrorStringFn error_string = nullptr;

  std::string describe(nvml_abi::Return status) const {
    const char* text = error_string != nullptr ? error_string(status) : nullptr;
    return (text != nullptr ? std::string(text) : std::string("NVML error")) + " (" + std::to_string(status) + ")";
  }
};

namespace {

// dlsym returns void*; a function pointer cast from it is what POSIX guarantees to work.
template <class Fn>
bool bind(void* handle, const char* symbol, Fn& out) {
  void* p = dlsym(handle, symbol);
  out = reinterpret_cast<Fn>(p);
  return p != nullptr;
}

}  // namespace

std::unique_ptr<Nvml> Nvml::open(std::string* why_not, const std::string& library) {
  const auto refuse = [why_not](std::string why) -> std::unique_ptr<Nvml> {
    if (why_not != nullptr) *why_not = std::move(why);
    return nullptr;
  };
  try {
    void* handle = dlopen(library.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) {
      const char* error = dlerror();
      return refuse("cannot load " + library + " (no NVIDIA driver?): " + (error != nullptr ? error : "dlopen failed"));
    }
    auto api = std::make_unique<Api>();
    // Required: without these there is nothing to sample. The readings are optional (a function a future
    // driver drops reads "n/a" rather than switching monitoring off).
    const char* missing = nullptr;
    if (!bind(handle, "nvmlInit_v2", api->init)) missing = "nvmlInit_v2";
    if (!bind(handle, "nvmlShutdown", api->shutdown)) missing = "nvmlShutdown";
    if (!bind(handle, "nvmlDeviceGetCount_v2", api->get_count)) missing = "nvmlDeviceGetCount_v2";
    if (!bind(handle, "nvmlDeviceGetHandleByIndex_v2", api->get_handle)) missing = "nvmlDeviceGetHandleByIndex_v2";
    if (!bind(handle, "nvmlErrorString", api->error_string)) missing = "nvmlErrorString";
    bind(handle, "nvmlDeviceGetUtilizationRates", api->get_utilization);
    bind(handle, "nvmlDeviceGetMemoryInfo", api->get_memory);
    bind(handle, "nvmlDeviceGetTemperature", api->get_temperature);
    bind(handle, "nvmlDeviceGetTotalEccErrors", api->get_ecc);
    bind(handle, "nvmlDeviceGetName", api->get_name);
    bind(handle, "nvmlDeviceGetUUID", api->get_uuid);
    if (missing != nullptr) {
      dlclose(handle);
      return refuse(library + " has no " + missing + " (an NVML older than this program expects)");
    }
    const nvml_abi::Return status = api->init();
    if (status != nvml_abi::kSuccess) {
      const std::string why = "nvmlInit failed: " + api->describe(status);
      dlclose(handle);
      return refuse(why);
    }
    return std::unique_ptr<Nvml>(new Nvml(handle, std::move(api), library));
  } catch (const std::exception& e) {
    return refuse(std::string("NVML unavailable: ") + e.what());
  }
}

Nvml::Nvml(void* handle, std::unique_ptr<Api> api, std::string library)
    : handle_(handle), api_(std::move(api)), library_(std::move(library)) {}

Nvml::~Nvml() {
  api_->shutdown();
  dlclose(handle_);
}

unsigned Nvml::device_count() const noexcept {
  unsigned count = 0;
  return api_->get_count(&count) == nvml_abi::kSuccess ? count : 0;
}

GpuSample Nvml::sample(unsigned index) const {
  GpuSample s;
  s.index = index;
  nvml_abi::Device device = nullptr;
  nvml_abi::Return status = api_->get_handle(index, &device);
  if (status != nvml_abi::kSuccess) {
    s.error = "nvmlDeviceGetHandleByIndex: " + api_->describe(status);
    return s;
  }
  char text[nvml_abi::kNameBufferSize] = {};
  if (api_->get_name != nullptr && api_->get_name(device, text, sizeof text) == nvml_abi::kSuccess) s.name = text;
  if (api_->get_uuid != nullptr) {
    char uuid[nvml_abi::kUuidBufferSize] = {};
    if (api_->get_uuid(device, uuid, sizeof uuid) == nvml_abi::kSuccess) s.uuid = uuid;
  }
  std::string errors;
  const auto note = [&](const char* what, nvml_abi::Return st) {
    errors += (errors.empty() ? "" : "; ") + std::string(what) + ": " + api_->describe(st);
  };
  // A function this NVML lacks reads as "not supported".
  const auto call = [](auto fn, auto... args) { return fn == nullptr ? nvml_abi::kErrorNotSupported : fn(args...); };
  nvml_abi::Utilization utilization{};
  status = call(api_->get_utilization, device, &utilization);
  if (status == nvml_abi::kSuccess) {
    s.utilization_percent = utilization.gpu;
  } else if (status != nvml_abi::kErrorNotSupported) {
    note("utilization", status);
  }
  nvml_abi::Memory memory{};
  status = call(api_->get_memory, device, &memory);
  if (status == nvml_abi::kSuccess) {
    s.memory_used_bytes = static_cast<double>(memory.used);
    s.memory_total_bytes = static_cast<double>(memory.total);
  } else if (status != nvml_abi::kErrorNotSupported) {
    note("memory", status);
  }
  unsigned temperature = 0;
  status = call(api_->get_temperature, device, nvml_abi::kTemperatureGpu, &temperature);
  if (status == nvml_abi::kSuccess) {
    s.temperature_c = temperature;
  } else if (status != nvml_abi::kErrorNotSupported) {
    note("temperature", status);
  }
  unsigned long long ecc = 0;
  status = call(api_->get_ecc, device, nvml_abi::kMemoryErrorUncorrected, nvml_abi::kVolatileEcc, &ecc);
  if (status == nvml_abi::kSuccess) {
    s.ecc_uncorrected = ecc;
  } else if (status != nvml_abi::kErrorNotSupported) {
    note("ecc", status);
  }
  s.ok = true;
  s.error = errors;
  return s;
}

std::vector<GpuSample> Nvml::sample_all() const {
  std::vector<GpuSample> out;
  const unsigned count = device_count();
  out.reserve(count);
  for (unsigned i = 0; i < count; ++i) out.push_back(sample(i));
  return out;
}

}  // namespace uninlu
