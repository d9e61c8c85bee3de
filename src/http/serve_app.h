#pragma once
// `uninlu serve` as a function: configuration, logging, the server and the Service, graceful exit.
// src/cli/cmd_serve.cc runs it with the real Service; tests run it with a fake one.
#include <functional>
#include <memory>

#include "http/server_config.h"
#include "serving/service.h"

namespace uninlu {

using ServiceFactory = std::function<std::unique_ptr<Service>(const ServiceOptions&)>;

// Returns the exit code: 0 after a graceful shutdown. Throws Error for a bad configuration (Usage), a
// port that cannot be bound (Io) or a model that cannot be loaded (ModelLoad); main() reports it.
int run_serve(const ServeFlags& flags, const ServiceFactory& make_service);

}  // namespace uninlu
