#include "http/access_log.h"

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "core/error.h"

namespace uninlu {

AccessLog::AccessLog(const std::string& destination) {
  if (destination.empty()) return;
  std::shared_ptr<spdlog::sinks::sink> sink;
  if (destination == "-") {
    sink = std::make_shared<spdlog::sinks::stdout_sink_mt>();
  } else {
    try {
      sink = std::make_shared<spdlog::sinks::basic_file_sink_mt>(destination, /*truncate=*/false);
    } catch (const spdlog::spdlog_ex& e) {
      fail(ErrorKind::Io, "cannot open access_log file '" + destination + "': " + e.what());
    }
  }
  // Not registered globally: each AccessLog owns its logger (tests make several).
  logger_ = std::make_shared<spdlog::logger>("access", std::move(sink));
  logger_->set_pattern("%Y-%m-%dT%H:%M:%S.%e%z %v");
  logger_->set_level(spdlog::level::info);
  logger_->flush_on(spdlog::level::info);
}

AccessLog::~AccessLog() = default;

void AccessLog::record(const AccessRecord& r) {
  if (!logger_) return;
  if (r.key_fingerprint == "-") {
    logger_->info("{} {} \"{} {}\" {} {:.2f}ms {}B", r.request_id, r.client, r.method, r.target, r.status,
                  r.latency_ms, r.response_bytes);
  } else {
    logger_->info("{} {} \"{} {}\" {} {:.2f}ms {}B key={}", r.request_id, r.client, r.method, r.target, r.status,
                  r.latency_ms, r.response_bytes, r.key_fingerprint);
  }
}

}  // namespace uninlu
