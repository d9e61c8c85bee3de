#include "monitor/process_memory.h"

#include <fstream>
#include <string>

namespace uninlu {

namespace {

// Reads "<key>: <value> kB" from a /proc status-like file.
std::uint64_t read_kib_field(const char* path, const std::string& key) noexcept {
  try {
    std::ifstream in(path);
    std::string line;
    const std::string prefix = key + ":";
    while (std::getline(in, line)) {
      if (line.compare(0, prefix.size(), prefix) == 0) return std::stoull(line.substr(prefix.size())) * 1024;
    }
  } catch (...) {
  }
  return 0;
}

}  // namespace

std::uint64_t process_rss_bytes() noexcept { return read_kib_field("/proc/self/status", "VmRSS"); }
std::uint64_t process_peak_rss_bytes() noexcept { return read_kib_field("/proc/self/status", "VmHWM"); }
std::uint64_t system_memory_bytes() noexcept { return read_kib_field("/proc/meminfo", "MemTotal"); }

}  // namespace uninlu
