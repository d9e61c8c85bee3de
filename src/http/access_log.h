#pragma once
// One line per answered request: time, request id, client, method, path, status, latency, response bytes.
//   2024-05-01T12:00:00.123+0000 3f9a0c12-42 127.0.0.1:53412 "POST /api/predict" 200 12.41ms 231B
#include <memory>
#include <string>
#include <string_view>

namespace spdlog {
class logger;
}

namespace uninlu {

struct AccessRecord {
  std::string_view request_id;
  std::string_view client;
  std::string_view method;
  std::string_view target;
  int status = 0;
  double latency_ms = 0;
  std::size_t response_bytes = 0;
  std::string_view key_fingerprint = "-";  // of the API key presented ("-": none); never the key
};

class AccessLog {
 public:
  // `destination`: "-" for stdout, "" for off, otherwise a file path (appended to; Error(Io) if it
  // cannot be opened).
  explicit AccessLog(const std::string& destination);
  ~AccessLog();
  AccessLog(const AccessLog&) = delete;
  AccessLog& operator=(const AccessLog&) = delete;

  void record(const AccessRecord& record);  // thread-safe
  bool enabled() const noexcept { return logger_ != nullptr; }

 private:
  std::shared_ptr<spdlog::logger> logger_;
};

}  // namespace uninlu
