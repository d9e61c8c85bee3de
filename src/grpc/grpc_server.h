#pragma once
// The gRPC front end of `uninlu serve` (--grpc-port): GRPCInferenceService on the HTTP server's host,
// TLS with the same certificate when HTTPS is on, messages up to max_body_bytes, the same API keys.
#include <chrono>
#include <memory>
#include <string>

#include "http/access_control.h"
#include "http/serve_app.h"
#include "http/server_config.h"
#include "serving/service.h"

namespace grpc {
class Server;
}

namespace uninlu {

class GrpcInferenceService;

class GrpcServer final : public FrontEnd {
 public:
  // Binds and starts at once: Error(Io) when the port cannot be bound, Error(Usage) for an unreadable
  // TLS certificate or key or API keys file. `service` must outlive the server.
  GrpcServer(const HttpOptions& options, Service& service);
  ~GrpcServer() override;  // shutdown(0) when not shut down yet
  GrpcServer(const GrpcServer&) = delete;
  GrpcServer& operator=(const GrpcServer&) = delete;

  std::string local_address() const;  // "0.0.0.0:50051", the port actually bound
  int local_port() const noexcept { return port_; }

  // Refuses new RPCs and gives the ones in flight up to `grace` to finish; after it they are cancelled.
  void shutdown(std::chrono::milliseconds grace) override;
  std::string describe() const override;  // "gRPC on 0.0.0.0:50051" (grpcs with TLS)
  // SIGHUP: re-reads the API keys file, so a key revoked for REST is revoked here at the same moment.
  // The TLS certificate is the one gRPC started with (grpc++ takes it once); a restart changes it.
  void reload() override;

 private:
  std::string host_;
  bool tls_ = false;
  int port_ = 0;
  AccessControl access_;
  std::unique_ptr<GrpcInferenceService> rpc_service_;
  std::unique_ptr<grpc::Server> server_;
};

// For run_serve(): a GrpcServer when config.http.grpc_port is set (>= 0), else nullptr.
FrontEndFactory grpc_front_end();

}  // namespace uninlu
