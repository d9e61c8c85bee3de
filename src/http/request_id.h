#pragma once
// X-Request-Id: a client's own id is kept when it is safe to echo into headers and logs; otherwise the
// server makes one that is unique within the process and unlikely to repeat across restarts.
#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>

namespace uninlu {

// 1 to 128 characters from [A-Za-z0-9._:-].
bool is_sane_request_id(std::string_view id) noexcept;

class RequestIdGenerator {
 public:
  RequestIdGenerator();
  std::string next();  // thread-safe
  // The incoming id when sane, else a fresh one.
  std::string accept_or_next(std::string_view incoming);

 private:
  std::string prefix_;  // random per process
  std::atomic<std::uint64_t> counter_{0};
};

}  // namespace uninlu
