#include "http/request_id.h"

#include <cstdio>
#include <random>

namespace uninlu {

bool is_sane_request_id(std::string_view id) noexcept {
  if (id.empty() || id.size() > 128) return false;
  for (const char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                    c == '_' || c == ':' || c == '-';
    if (!ok) return false;
  }
  return true;
}

RequestIdGenerator::RequestIdGenerator() {
  std::random_device device;
  char buffer[16];
  std::snprintf(buffer, sizeof buffer, "%08x", static_cast<unsigned>(device()));
  prefix_ = buffer;
}

std::string RequestIdGenerator::next() {
  const std::uint64_t n = counter_.fetch_add(1, std::memory_order_relaxed) + 1;
  return prefix_ + "-" + std::to_string(n);
}

std::string RequestIdGenerator::accept_or_next(std::string_view incoming) {
  return is_sane_request_id(incoming) ? std::string(incoming) : next();
}

}  // namespace uninlu
