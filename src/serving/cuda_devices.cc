#include "serving/cuda_devices.h"

#include "core/error.h"

namespace uninlu {

// Without CUDA; the GPU build implements these in cuda_devices_gpu.cc.
#if !UNINLU_WITH_CUDA
int cuda_device_count(std::string* why_none) {
  if (why_none) *why_none = "this build has no CUDA support";
  return 0;
}

std::vector<std::unique_ptr<Device>> make_cuda_devices(const std::vector<int>& ordinals, const ServiceOptions&,
                                                       const ModelDir&) {
  if (!ordinals.empty()) fail(ErrorKind::Usage, "this build has no CUDA support");
  return {};
}
#endif

}  // namespace uninlu
