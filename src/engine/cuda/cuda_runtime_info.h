#pragma once
// What the serving layer asks the CUDA runtime about GPUs, without touching cudart itself.
#include <cstddef>
#include <string>

namespace uninlu::cuda {

// Visible, usable GPUs. 0 with `why_none` set when there is no driver, no device, or the driver is too
// old for this build's runtime; never throws.
int visible_device_count(std::string* why_none) noexcept;

struct DeviceMemoryInfo {
  std::size_t free_bytes = 0;
  std::size_t total_bytes = 0;
};
// cudaMemGetInfo on `device` (the caller's current device is kept). Throws CudaError.
DeviceMemoryInfo device_memory(int device);

// The GPU's name ("NVIDIA H100 80GB HBM3"); "" when unavailable. Never throws.
std::string device_name(int device) noexcept;

// The GPU's UUID in NVML's spelling ("GPU-8-4-4-4-12 hex digits"), to match CUDA ordinals with NVML
// indices (they differ under CUDA_VISIBLE_DEVICES or a non-PCI device order); "" when unavailable.
std::string device_uuid(int device) noexcept;

}  // namespace uninlu::cuda
