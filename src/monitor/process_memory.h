#pragma once
// Host memory figures for /health and /metrics (the CPU device's "memory used" is the process RSS).
#include <cstdint>

namespace uninlu {

std::uint64_t process_rss_bytes() noexcept;       // 0 when /proc is unreadable
std::uint64_t process_peak_rss_bytes() noexcept;  // VmHWM
std::uint64_t system_memory_bytes() noexcept;     // MemTotal

}  // namespace uninlu
