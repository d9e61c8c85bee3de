#pragma once
// Turns the `device` setting into devices with backends:
//   "auto"          every visible GPU (one model replica each) plus the CPU on standby; the CPU alone
//                   when there is no GPU, no driver, or no CUDA in this build (said once in the log)
//   "cpu"           the CPU only
//   "cuda:0", "cuda:0,1", "cuda"   those GPUs (all with "cuda") plus the CPU on standby for faults
//   "null"          the null device alone (engine/null: fixed logits, no model work; benchmarking only)
#include <memory>
#include <string>
#include <vector>

#include "model/model_dir.h"
#include "serving/device.h"
#include "serving/service.h"

namespace uninlu {

struct DeviceSpec {
  bool use_cpu_only = false;
  bool use_null = false;       // the benchmarking device
  bool all_gpus = false;      // "auto" or "cuda"
  bool gpus_required = false;  // an explicit "cuda..." must find its GPUs
  std::vector<int> gpu_ordinals;
};

// Throws Error(Usage) for an unknown spec ("cuda:x", "tpu", "cuda:0,0").
DeviceSpec parse_device_spec(const std::string& spec);

// Throws Error(Usage) when an explicitly requested GPU does not exist or this build has no CUDA.
std::vector<std::unique_ptr<Device>> create_devices(const ServiceOptions& options, const ModelDir& model);

}  // namespace uninlu
