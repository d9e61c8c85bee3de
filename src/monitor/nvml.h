#pragma once
// NVML (the NVIDIA Management Library), loaded at run time with dlopen("libnvidia-ml.so.1"): the build
// needs neither NVML's headers nor its library, and a machine without the NVIDIA driver simply has no
// GPU monitor. Only the handful of functions used here are declared (nvml_abi.h).
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace uninlu {

// One reading of one GPU. A field NVML cannot give is negative (or nullopt for ECC).
struct GpuSample {
  unsigned index = 0;  // NVML's index (PCI order; not necessarily the CUDA ordinal)
  std::string name;
  std::string uuid;  // "GPU-..."; matches cuda::device_uuid()
  bool ok = false;   // false: the GPU could not be read at all (`error` says why)
  std::string error;
  double utilization_percent = -1;
  double memory_used_bytes = -1;
  double memory_total_bytes = -1;
  double temperature_c = -1;
  // Uncorrected ECC errors since the driver loaded (volatile counter); nullopt when the GPU reports ECC as
  // not supported (consumer cards, ECC disabled).
  std::optional<std::uint64_t> ecc_uncorrected;
};

class Nvml {
 public:
  // Loads `library` and initialises NVML. Null, with `why_not` set, when the library is absent or NVML
  // fails to initialise (no driver); never throws.
  static std::unique_ptr<Nvml> open(std::string* why_not, const std::string& library = "libnvidia-ml.so.1");
  ~Nvml();  // nvmlShutdown, dlclose
  Nvml(const Nvml&) = delete;
  Nvml& operator=(const Nvml&) = delete;

  unsigned device_count() const noexcept;  // 0 when the count cannot be read
  GpuSample sample(unsigned index) const;  // never throws for NVML errors: they go into GpuSample::error
  std::vector<GpuSample> sample_all() const;
  const std::string& library() const noexcept { return library_; }

 private:
  struct Api;
  Nvml(void* handle, std::unique_ptr<Api> api, std::string library);
  void* handle_;
  std::unique_ptr<Api> api_;
  std::string library_;
};

}  // namespace uninlu
