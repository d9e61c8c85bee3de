#pragma once
// The HTTP server: one io_context run by a small pool of threads, a strand per connection, graceful
// shutdown on SIGINT/SIGTERM (stop accepting, drain the Service, write the answers of requests in flight,
// close idle keep-alive connections). With tls_cert and tls_key it speaks HTTPS only (tls_context.h);
// SIGHUP re-reads the API keys file and the certificate.
#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "http/access_log.h"
#include "http/server_config.h"
#include "serving/service.h"

namespace uninlu {

class HttpServer {
 public:
  // Binds and listens at once, so that a taken port is reported before the model loads:
  // Error(Io) "cannot listen on 0.0.0.0:7860: address already in use (...)"; Error(Usage) for a host
  // that does not resolve or a TLS certificate or key that cannot be used.
  explicit HttpServer(HttpOptions options);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  std::string local_address() const;  // "0.0.0.0:7860": the port actually bound (with port 0)
  int local_port() const;
  bool tls() const noexcept;  // serving HTTPS

  struct ShutdownReport {
    std::size_t unfinished = 0;  // requests the Service had not finished when the shutdown timeout ran out
    bool forced = false;         // a second signal cut the shutdown short
  };

  // From now on SIGINT and SIGTERM request the graceful shutdown (a second one cuts it short). A signal
  // that comes before serve() (while the model loads) makes serve() shut down as soon as it starts.
  void stop_on_signals();

  // Serves until request_stop() or a signal, then shuts down gracefully. Call once. `service` and
  // `access_log` must outlive the server.
  ShutdownReport serve(Service& service, AccessLog& access_log);

  // Thread-safe: starts the graceful shutdown, as SIGTERM does.
  void request_stop();

  // Called on each SIGHUP after the server's own keys and certificate are re-read (on an io thread), so
  // that another protocol's front end re-reads its keys at the same moment. Set before serve().
  void on_reload(std::function<void()> reload);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace uninlu
