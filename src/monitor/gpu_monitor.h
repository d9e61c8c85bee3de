#pragma once
// Samples every GPU through NVML every `interval` on its own thread and hands each round of samples to
// a callback (the service updates its metrics and appends to gpu.log there). Without NVML or without a
// GPU the monitor is inactive and says why; that is never an error.
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "monitor/nvml.h"

namespace uninlu {

struct GpuMonitorOptions {
  std::chrono::milliseconds interval{10000};
  std::string library = "libnvidia-ml.so.1";
};

class GpuMonitor {
 public:
  using Callback = std::function<void(const std::vector<GpuSample>&)>;

  // Loads NVML; when it is there with at least one GPU, takes the first sample before returning (so
  // latest() has data at once) and starts the sampling thread. `on_sample` runs on that thread (the first
  // time on the caller's) and must not throw.
  GpuMonitor(GpuMonitorOptions options, Callback on_sample);
  ~GpuMonitor();  // stop()
  GpuMonitor(const GpuMonitor&) = delete;
  GpuMonitor& operator=(const GpuMonitor&) = delete;

  void stop();  // idempotent; waits for the thread
  bool active() const noexcept { return nvml_ != nullptr; }
  const std::string& why_inactive() const noexcept { return why_inactive_; }
  std::vector<GpuSample> latest() const;
  std::chrono::milliseconds interval() const noexcept { return options_.interval; }

 private:
  void sample_once();
  void run();

  GpuMonitorOptions options_;
  Callback on_sample_;
  std::unique_ptr<Nvml> nvml_;
  std::string why_inactive_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::vector<GpuSample> latest_;
  std::thread thread_;
};

}  // namespace uninlu
