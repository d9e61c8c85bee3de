#include "engine/cuda/cuda_runtime_info.h"

#include <cuda_runtime_api.h>

#include <cstdio>

#include "kernels/cuda/cuda_error.h"
#include "engine/cuda/cuda_resources.h"

namespace uninlu::cuda {

int visible_device_count(std::string* why_none) noexcept {
  int count = 0;
  const cudaError_t status = cudaGetDeviceCount(&count);
  (void)cudaGetLastError();  // a failed query must not linger as the thread's last error
  std::string why;
  if (status == cudaErrorNoDevice || (status == cudaSuccess && count == 0)) {
    why = "no CUDA device is visible";
    count = 0;
  } else if (status == cudaErrorInsufficientDriver) {
    why = "no NVIDIA driver, or one older than this build's CUDA runtime needs (cudaErrorInsufficientDriver)";
    count = 0;
  } else if (status != cudaSuccess) {
    why = std::string("the CUDA runtime reports ") + cudaGetErrorName(status) + " (" + cudaGetErrorString(status) + ")";
    count = 0;
  }
  if (count == 0 && why_none != nullptr) {
    try {
      *why_none = why;
    } catch (...) {
    }
  }
  return count;
}

DeviceMemoryInfo device_memory(int device) {
  DeviceGuard guard(device);
  DeviceMemoryInfo info;
  UNINLU_CUDA_CHECK(cudaMemGetInfo(&info.free_bytes, &info.total_bytes));
  return info;
}

std::string device_name(int device) noexcept {
  try {
    cudaDeviceProp prop{};
    if (cudaGetDeviceProperties(&prop, device) != cudaSuccess) {
      (void)cudaGetLastError();
      return {};
    }
    return prop.name;
  } catch (...) {
    return {};
  }
}

std::string device_uuid(int device) noexcept {
  try {
    cudaDeviceProp prop{};
    if (cudaGetDeviceProperties(&prop, device) != cudaSuccess) {
      (void)cudaGetLastError();
      return {};
    }
    const auto* b = reinterpret_cast<const unsigned char*>(prop.uuid.bytes);
    char text[64];
    std::snprintf(text, sizeof text, "GPU-%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
                  b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
    return text;
  } catch (...) {
    return {};
  }
}

}  // namespace uninlu::cuda
