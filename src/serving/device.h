#pragma once
// A device the scheduler can send batches to: a backend plus its serving state. States:
//   healthy   takes batches
//   degraded  a batch failed on it (CUDA error, out of memory); it gets one batch again after retry_at
//   disabled  taken out of service on request (/api/fallback moves serving off the GPUs)
//   standby   the CPU while GPUs serve: takes batches only when no other device is healthy
#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "engine/backend.h"

namespace uninlu {

enum class DeviceState { Healthy, Degraded, Disabled, Standby };
const char* device_state_name(DeviceState state) noexcept;

struct DeviceMemory {
  double used_bytes = 0;
  double total_bytes = 0;
};

struct Device {
  std::string name;  // "cpu", "cuda:0"
  bool is_gpu = false;
  std::unique_ptr<Backend> backend;
  std::size_t max_batch_tokens = 8192;  // this device's batch budget (GPUs: from free memory)

  // Guarded by the scheduler's mutex.
  DeviceState state = DeviceState::Healthy;
  std::chrono::steady_clock::time_point retry_at{};
  int consecutive_faults = 0;
  std::size_t batches = 0;
  std::size_t faults = 0;
  double busy_seconds = 0;
  bool running_batch = false;
};

}  // namespace uninlu
