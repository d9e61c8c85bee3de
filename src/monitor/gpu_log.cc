#include "monitor/gpu_log.h"

#include <cerrno>
#include <cmath>
#include <cstring>
#include <ctime>

namespace uninlu {
namespace {

constexpr double kMiB = 1024.0 * 1024.0;

std::string number(double value, const char* unit) {
  if (value < 0 || !std::isfinite(value)) return "n/a";
  char text[64];
  std::snprintf(text, sizeof text, "%.0f%s", value, unit);
  return text;
}

// Double quotes and backslashes escaped, control characters dropped: a line stays one line.
std::string quoted(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) >= 0x20) {
      out += c;
    }
  }
  return out + "\"";
}

}  // namespace

std::string format_utc_timestamp(std::chrono::system_clock::time_point when) {
  const auto since_epoch = when.time_since_epoch();
  const auto seconds = std::chrono::floor<std::chrono::seconds>(since_epoch);
  const auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(since_epoch - seconds).count();
  const std::time_t t = static_cast<std::time_t>(seconds.count());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char text[40];
  const std::size_t n = std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(text + n, sizeof text - n, ".%03dZ", static_cast<int>(millis));
  return text;
}

std::string format_gpu_log_line(std::chrono::system_clock::time_point when, const GpuSample& s,
                                const std::optional<GpuLogDevice>& device) {
  std::string line = format_utc_timestamp(when);
  line += " gpu=" + std::to_string(s.index);
  line += " name=" + quoted(s.name);
  line += " util=" + number(s.utilization_percent, "%");
  if (s.memory_used_bytes < 0 || s.memory_total_bytes < 0) {
    line += " mem=n/a";
  } else {
    line += " mem=" + number(s.memory_used_bytes / kMiB, "") + "/" + number(s.memory_total_bytes / kMiB, "MiB");
  }
  line += " temp=" + number(s.temperature_c, "C");
  line += " ecc=" + (s.ecc_uncorrected ? std::to_string(*s.ecc_uncorrected) : std::string("n/a"));
  if (device) {
    line += " device=" + device->name + " state=" + device->state + " batches=" + std::to_string(device->batches);
  } else {
    line += " device=- state=- batches=-";
  }
  if (!s.ok || !s.error.empty()) line += " error=" + quoted(s.error);
  return line;
}

GpuLogWriter::GpuLogWriter(std::string path) : path_(std::move(path)) {
  file_ = std::fopen(path_.c_str(), "a");
  if (file_ == nullptr) error_ = "cannot open " + path_ + ": " + std::strerror(errno);
}

GpuLogWriter::~GpuLogWriter() {
  if (file_ != nullptr) std::fclose(file_);
}

bool GpuLogWriter::ok() const {
  std::lock_guard lock(mutex_);
  return file_ != nullptr && error_.empty();
}

std::string GpuLogWriter::error() const {
  std::lock_guard lock(mutex_);
  return error_;
}

void GpuLogWriter::write(const std::vector<std::string>& lines) {
  std::lock_guard lock(mutex_);
  if (file_ == nullptr) return;
  bool failed = false;
  for (const auto& line : lines) {
    failed = failed || std::fputs(line.c_str(), file_) < 0 || std::fputc('\n', file_) == EOF;
  }
  failed = failed || std::fflush(file_) != 0;
  if (failed && error_.empty()) error_ = "cannot write " + path_ + ": " + std::strerror(errno);
}

}  // namespace uninlu
