#pragma once
// What every connection of one server shares, and the set of live connections (for graceful shutdown).
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "http/access_control.h"
#include "http/access_log.h"
#include "http/cors.h"
#include "http/request_id.h"
#include "http/router.h"
#include "http/server_config.h"
#include "serving/service.h"

namespace uninlu {

class Session;

class SessionRegistry {
 public:
  void add(const std::shared_ptr<Session>& session);
  void remove(const Session* session) noexcept;  // from ~Session
  std::vector<std::shared_ptr<Session>> snapshot();
  std::size_t size();
  // True when the last session ended before `deadline`.
  bool wait_until_empty(std::chrono::steady_clock::time_point deadline);

 private:
  std::mutex mutex_;
  std::condition_variable emptied_;
  std::unordered_map<const Session*, std::weak_ptr<Session>> sessions_;
};

struct ServerContext {
  // Spelled out: make_unique's parenthesized aggregate initialization needs clang 16, and the fuzz
  // build (tests/fuzz) uses Debian 12's clang 14.
  ServerContext(const HttpOptions& options_, const Router& router_, Service& service_, AccessLog& access_log_,
                RequestIdGenerator& ids_, SessionRegistry& registry_, const AccessControl& access_,
                const CorsPolicy& cors_)
      : options(options_), router(router_), service(service_), access_log(access_log_), ids(ids_),
        registry(registry_), access(access_), cors(cors_) {}

  const HttpOptions& options;
  const Router& router;
  Service& service;
  AccessLog& access_log;
  RequestIdGenerator& ids;
  SessionRegistry& registry;
  const AccessControl& access;
  const CorsPolicy& cors;
  std::atomic<bool> draining{false};  // shutting down: no keep-alive, idle connections close
};

}  // namespace uninlu
