#pragma once
// The real Service: loads the model directory, builds one backend per device (every GPU with "auto",
// the CPU when there is none), and runs requests through the step scheduler.
#include <memory>

#include "serving/service.h"

namespace uninlu {

// Throws Error(ModelLoad) when the model directory cannot be loaded and Error(Usage) for a device
// specification that names no usable device.
std::unique_ptr<Service> make_inference_service(const ServiceOptions& options);

}  // namespace uninlu
