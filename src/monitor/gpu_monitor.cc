#include "monitor/gpu_monitor.h"

#include <utility>

namespace uninlu {

GpuMonitor::GpuMonitor(GpuMonitorOptions options, Callback on_sample)
    : options_(std::move(options)), on_sample_(std::move(on_sample)) {
  if (options_.interval.count() <= 0) options_.interval = std::chrono::milliseconds(10000);
  nvml_ = Nvml::open(&why_inactive_, options_.library);
  if (nvml_ != nullptr && nvml_->device_count() == 0) {
    why_inactive_ = "NVML sees no GPU";
    nvml_.reset();
  }
  if (nvml_ == nullptr) return;
  sample_once();
  thread_ = std::thread([this] { run(); });
}

GpuMonitor::~GpuMonitor() { stop(); }

void GpuMonitor::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::vector<GpuSample> GpuMonitor::latest() const {
  std::lock_guard lock(mutex_);
  return latest_;
}

void GpuMonitor::sample_once() {
  std::vector<GpuSample> samples = nvml_->sample_all();
  {
    std::lock_guard lock(mutex_);
    latest_ = samples;
  }
  if (on_sample_) on_sample_(samples);
}

void GpuMonitor::run() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    if (wake_.wait_for(lock, options_.interval, [this] { return stopping_; })) break;
    lock.unlock();
    sample_once();
    lock.lock();
  }
}

}  // namespace uninlu
