#pragma once
// The GPU side of device creation. Without CUDA in the build these report no GPU, with the reason.
#include <memory>
#include <string>
#include <vector>

#include "model/model_dir.h"
#include "serving/device.h"
#include "serving/service.h"

namespace uninlu {

// Visible, usable GPUs; 0 with `why_none` set when there is no driver, no device, or no CUDA build.
int cuda_device_count(std::string* why_none);

// One device per ordinal (a model replica each, or one layer-split pair with options.layer_split), its
// batch token budget measured from free memory at startup.
std::vector<std::unique_ptr<Device>> make_cuda_devices(const std::vector<int>& ordinals, const ServiceOptions& options,
                                                       const ModelDir& model);

}  // namespace uninlu
