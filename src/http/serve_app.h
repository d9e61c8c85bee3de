#pragma once
// `uninlu serve` as a function: configuration, logging, the server and the Service, graceful exit.
// src/cli/cmd_serve.cc runs it with the real Service; tests run it with a fake one.
#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "http/server_config.h"
#include "serving/service.h"

namespace uninlu {

// Makes the Service of one model; run_serve puts one per configured model behind a ModelRepository.
using ServiceFactory = std::function<std::unique_ptr<Service>(const ServiceOptions&)>;

// Another protocol on the same Service (the gRPC server of src/grpc/, which this module cannot depend on):
// started once the model has loaded, shut down after the HTTP server's graceful shutdown has drained the
// Service, so that its requests in flight are answered too.
class FrontEnd {
 public:
  virtual ~FrontEnd() = default;
  virtual std::string describe() const = 0;  // for the startup log: "gRPC on 0.0.0.0:50051"
  virtual void shutdown(std::chrono::milliseconds grace) = 0;
  virtual void reload() {}  // SIGHUP: re-read what the HTTP server re-reads (the API keys)
};
// nullptr when the configuration leaves it off.
using FrontEndFactory = std::function<std::unique_ptr<FrontEnd>(const ServerConfig&, Service&)>;

// Returns the exit code: 0 after a graceful shutdown. Throws Error for a bad configuration (Usage), a
// port that cannot be bound (Io) or a model that cannot be loaded (ModelLoad); main() reports it.
int run_serve(const ServeFlags& flags, const ServiceFactory& make_service, const FrontEndFactory& make_front_end = {});

}  // namespace uninlu
