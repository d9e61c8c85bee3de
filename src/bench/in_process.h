#pragma once
// `uninlu bench --model DIR`: the real InferenceService, and (for the http transport) the real HTTP
// server on a loopback port, inside the benchmark's own process. The HTTP path is the default because
// it measures what a client of `uninlu serve` gets (parsing, JSON, connections included), so in-process
// and --url figures compare; the direct path (Service::predict) isolates the HTTP layer's cost.
#include <memory>
#include <thread>

#include "bench/transport.h"
#include "http/server_config.h"
#include "serving/service.h"

namespace uninlu {
class HttpServer;
class AccessLog;
}  // namespace uninlu

namespace uninlu::bench {

class InProcessServer {
 public:
  // Loads the model per `config.service`; with `with_http`, serves HTTP on 127.0.0.1 at a free port
  // (config.http otherwise applies: io_threads, timeouts, access_log).
  InProcessServer(ServerConfig config, bool with_http);
  ~InProcessServer();  // graceful stop of the server, then the service
  InProcessServer(const InProcessServer&) = delete;
  InProcessServer& operator=(const InProcessServer&) = delete;

  Service& service() { return *service_; }
  bool has_http() const noexcept { return server_ != nullptr; }
  HttpTarget target() const;  // with_http only

 private:
  ServerConfig config_;
  std::unique_ptr<Service> service_;
  std::unique_ptr<AccessLog> access_log_;
  std::unique_ptr<HttpServer> server_;
  std::thread serving_;
};

}  // namespace uninlu::bench
