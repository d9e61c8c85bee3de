#pragma once
// The Open Inference Protocol (KServe v2) over REST, a thin adapter over v2_protocol.h:
//   GET /v2, GET /v2/models/{name}[/versions/{v}], GET .../ready, POST .../infer.
// The N texts of an infer request go to Service::predict one by one, as N /api/predict requests would,
// so that they batch with all other work. Errors are the protocol's {"error": "..."}.
// The models are the Service's (Service::models()); the repository extension, POST /v2/repository/index
// and /v2/repository/models/{name}/load|unload, loads and unloads them.
// (/v2/health/live and /v2/health/ready are in routes.cc with the other probes.)
#include <cstddef>
#include <string>

#include "http/router.h"
#include "serving/service.h"

namespace uninlu {

struct V2RouteOptions {
  std::size_t max_batch_items = 64;  // most texts in one infer request; beyond it 413
};

// `service` must outlive the router.
void install_v2_routes(Router& router, Service& service, V2RouteOptions options);

}  // namespace uninlu
