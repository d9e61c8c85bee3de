#pragma once
// gpu.log: one line per GPU per sample, appended, for operators to grep and plot:
//   2025-11-25T01:02:03.123Z gpu=0 name="NVIDIA H100 80GB HBM3" util=87% mem=12345/81559MiB temp=54C ecc=0
//   device=cuda:0 state=healthy batches=1234
// (one line). A value NVML cannot give reads "n/a"; a GPU that is not ours has device=- state=- batches=-.
// A GPU that could not be read at all ends in error="...".
#include <chrono>
#include <cstddef>
#include <cstdio>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "monitor/nvml.h"

namespace uninlu {

// Our serving state of the device a GPU belongs to (nullopt: a GPU we do not serve on).
struct GpuLogDevice {
  std::string name;   // "cuda:0", "cuda:0+1"
  std::string state;  // "healthy", "degraded", ...
  std::size_t batches = 0;
};

std::string format_gpu_log_line(std::chrono::system_clock::time_point when, const GpuSample& sample,
                                const std::optional<GpuLogDevice>& device);

// UTC, millisecond resolution: "2025-11-25T01:02:03.123Z".
std::string format_utc_timestamp(std::chrono::system_clock::time_point when);

// Appends lines to a file, flushing after each batch of lines. Opening or writing failures are reported
// once through `error()` and otherwise ignored: monitoring must never take the service down.
class GpuLogWriter {
 public:
  explicit GpuLogWriter(std::string path);
  ~GpuLogWriter();
  GpuLogWriter(const GpuLogWriter&) = delete;
  GpuLogWriter& operator=(const GpuLogWriter&) = delete;

  bool ok() const;
  std::string error() const;
  const std::string& path() const noexcept { return path_; }
  void write(const std::vector<std::string>& lines);

 private:
  std::string path_;
  mutable std::mutex mutex_;
  std::FILE* file_ = nullptr;
  std::string error_;
};

}  // namespace uninlu
