#pragma once
// The API: the original Flask app's routes (POST /api/predict, GET /health, POST /api/fallback) with
// their response shapes kept, plus POST /api/restore, GET /metrics, GET /info, the KServe v2 health
// probes and the web page. docs/http-api.md describes every route.
#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>

#include "http/router.h"
#include "serving/service.h"

namespace uninlu {

struct RouteOptions {
  std::size_t max_batch_items = 64;  // items in one batch request; beyond it 413
  nlohmann::ordered_json http_info;  // shown under "http" by GET /info
};

// `service` must outlive the router.
void install_routes(Router& router, Service& service, RouteOptions options);

// The JSON text of a successful prediction: {"result": {"output": [...]}, "request_id", "timing",
// "devices"}, compact, written directly around the result's own output text (no json tree).
std::string predict_result_text(const PredictResult& result, std::string_view request_id);

}  // namespace uninlu
