#include "http/routes.h"

#include <cmath>
#include <memory>
#include <mutex>

#include "engine/cpu/cpu_backend.h"
#include "http/json_response.h"
#include "http/predict_request.h"
#include "http/openapi_route.h"
#include "http/v2_routes.h"
#include "http/web_assets.h"
#include "kernels/cpu/cpu_isa.h"
#include "pipeline/json_writer.h"
#include "serving/metrics.h"

namespace uninlu {

namespace {

using Json = nlohmann::ordered_json;

double rounded_ms(double ms) { return std::round(ms * 1000.0) / 1000.0; }

Json timing_json(const PredictTiming& t) {
  Json j;
  j["tokenize_ms"] = rounded_ms(t.tokenize_ms);
  j["queue_ms"] = rounded_ms(t.queue_ms);
  j["inference_ms"] = rounded_ms(t.inference_ms);
  j["total_ms"] = rounded_ms(t.total_ms);
  return j;
}

HttpResponse internal_error(const std::exception& e, std::string_view request_id) {
  return error_response(ErrorKind::Internal, std::string("internal error (a bug; please report it): ") + e.what(),
                        request_id);
}

// Runs a synchronous Service call and answers with its JSON, or with the error it threw.
template <typename Call>
void answer_json(Exchange& exchange, Call&& call) {
  const std::string& request_id = exchange.request.request_id;
  try {
    exchange.respond(json_response(200, call()));
  } catch (const Error& e) {
    exchange.respond(error_response(e, request_id));
  } catch (const std::exception& e) {
    exchange.respond(internal_error(e, request_id));
  }
}

HttpResponse outcome_response(const PredictOutcome& outcome, const std::string& request_id) {
  if (outcome.result) {
    HttpResponse response;
    response.body = predict_result_text(*outcome.result, request_id);
    return response;
  }
  if (outcome.error) return error_response(*outcome.error, request_id);
  return error_response(ErrorKind::Internal, "internal error (a bug): the prediction finished without a result",
                        request_id);
}

// A batch answers once every item has: per-item results or errors, in order.
class BatchState {
 public:
  BatchState(std::size_t items, Respond respond, std::string request_id)
      : items_(items), remaining_(items + 1), respond_(std::move(respond)), request_id_(std::move(request_id)) {}

  void complete(std::size_t index, Json item) {
    {
      const std::lock_guard lock(mutex_);
      items_[index] = std::move(item);
    }
    release();
  }

  // The submitting loop holds one share, so the batch cannot finish while items are still being queued.
  void release() {
    bool done = false;
    {
      const std::lock_guard lock(mutex_);
      done = --remaining_ == 0;
    }
    if (!done) return;
    Json body;
    body["results"] = std::move(items_);
    body["request_id"] = request_id_;
    respond_(json_response(200, body));
  }

 private:
  std::mutex mutex_;
  Json::array_t items_;
  std::size_t remaining_;
  Respond respond_;
  std::string request_id_;
};

Json item_error(ErrorKind kind, std::string_view message) {
  Json j;
  j["error"] = message;
  j["kind"] = error_kind_name(kind);
  j["status"] = http_status(kind);
  return j;
}

Json item_json(const PredictOutcome& outcome) {
  if (outcome.result) {
    Json j;
    j["result"] = Json::parse(outcome.result->output_json);
    j["timing"] = timing_json(outcome.result->timing);
    j["devices"] = outcome.result->devices;
    return j;
  }
  if (outcome.error) return item_error(outcome.error->kind(), outcome.error->what());
  return item_error(ErrorKind::Internal, "internal error (a bug): the prediction finished without a result");
}

void predict_batch(Service& service, Json& items, Exchange& exchange) {
  const std::string& request_id = exchange.request.request_id;
  auto state = std::make_shared<BatchState>(items.size(), exchange.respond, request_id);
  for (std::size_t i = 0; i < items.size(); ++i) {
    try {
      PredictRequest request = parse_predict_item(std::move(items[i]), request_id + "." + std::to_string(i));
      const RequestId id = service.predict(std::move(request), exchange.deadline, [state, i](PredictOutcome outcome) {
        state->complete(i, item_json(outcome));
      });
      exchange.track(id);
    } catch (const Error& e) {
      state->complete(i, item_error(e.kind(), e.what()));
    } catch (const std::exception& e) {
      state->complete(i, item_error(ErrorKind::Internal, std::string("internal error (a bug): ") + e.what()));
    }
  }
  state->release();
}

void predict(Service& service, std::size_t max_batch_items, Exchange& exchange) {
  const HttpRequest& http = exchange.request;
  if (auto problem = unsupported_content_type(http.content_type)) {
    exchange.respond(http_error_response(415, "unsupported_media_type", *problem, http.request_id));
    return;
  }
  try {
    Json body = parse_json_body(http.body);
    if (body.is_array()) {
      if (body.empty()) fail(ErrorKind::InvalidInput, "the batch is empty: send at least one request object");
      if (body.size() > max_batch_items) {
        fail(ErrorKind::LimitExceeded, "the batch has " + std::to_string(body.size()) + " items; at most " +
                                           std::to_string(max_batch_items) +
                                           " are allowed (max_batch_items): split it");
      }
      predict_batch(service, body, exchange);
      return;
    }
    if (!body.is_object()) {
      fail(ErrorKind::InvalidInput,
           R"(the request body must be a JSON object {"text": "...", "schema": {...}} or an array of them, not )" +
               json_type_name(body));
    }
    PredictRequest request = parse_predict_item(std::move(body), http.request_id);
    const RequestId id =
        service.predict(std::move(request), exchange.deadline,
                        [respond = exchange.respond, request_id = http.request_id](PredictOutcome outcome) {
                          respond(outcome_response(outcome, request_id));
                        });
    exchange.track(id);
  } catch (const Error& e) {
    exchange.respond(error_response(e, http.request_id));
  } catch (const std::exception& e) {
    exchange.respond(internal_error(e, http.request_id));
  }
}

void probe(Exchange& exchange, std::string_view name, bool ok) {
  Json body;
  body[std::string(name)] = ok;
  exchange.respond(json_response(ok ? 200 : 503, body));
}

void serve_asset(Exchange& exchange) {
  const WebAsset* asset = find_web_asset(exchange.request.path);
  if (asset == nullptr) {
    const bool page = exchange.request.path == "/";
    exchange.respond(error_response(ErrorKind::NotFound,
                                    page ? "this build has no web page (web/index.html was missing when it was built); "
                                           "the API is at POST /api/predict"
                                         : "no such file: " + exchange.request.path,
                                    exchange.request.request_id));
    return;
  }
  HttpResponse response;
  response.content_type = std::string(asset->content_type);
  response.body = std::string(asset->body);
  // The page itself is revalidated so that a new build shows at once; the files it loads may be cached.
  const bool html = asset->content_type.rfind("text/html", 0) == 0;
  response.headers.emplace_back("Cache-Control", html ? "no-cache" : "public, max-age=3600");
  exchange.respond(std::move(response));
}

const char* const kRouteList[] = {
    "POST /api/predict",   "GET /health",          "POST /api/fallback",
    "POST /api/restore",   "GET /metrics",         "GET /info",
    "GET /v2/health/live", "GET /v2/health/ready", "GET /",
    "GET /assets/<file>",  "GET /v2",              "GET /v2/models/<name>[/versions/<v>][/ready]",
    "POST /v2/models/<name>[/versions/<v>]/infer", "POST /v2/repository/index",
    "POST /v2/repository/models/<name>/load", "POST /v2/repository/models/<name>/unload", "GET /openapi.json",
};

// The CPU backend on this machine: the instruction sets its kernels and oneDNN run on, and how the CPU
// precision runs here (narrowed or emulated where the CPU lacks the instructions for it). One helper so
// that /info additions stay in one place.
Json cpu_runtime_info(const Json& info) {
  Json cpu{{"kernels_isa", cpu::kernel_isa_name()}, {"onednn_isa", cpu::onednn_isa_name()}};
  const auto options = info.find("options");
  if (options != info.end() && options->is_object() && options->contains("cpu_precision")) {
    try {
      const Precision precision = parse_precision(options->at("cpu_precision").get<std::string>());
      cpu["precision"] = describe_cpu_precision(precision);
      cpu["emulated_slower_than_fp32"] = cpu_precision_is_emulated(precision);
    } catch (const std::exception&) {
      // A precision the CPU backend does not run (fp16): nothing to describe.
    }
  }
  return cpu;
}

}  // namespace

std::string predict_result_text(const PredictResult& result, std::string_view request_id) {
  std::string out;
  out.reserve(result.output_json.size() + 192);
  out += "{\"result\":";
  out += result.output_json;
  out += ",\"request_id\":";
  append_json_string(out, request_id);
  // The timing's numbers through nlohmann, so that doubles print exactly as before.
  const PredictTiming& t = result.timing;
  out += ",\"timing\":{\"tokenize_ms\":";
  out += Json(rounded_ms(t.tokenize_ms)).dump();
  out += ",\"queue_ms\":";
  out += Json(rounded_ms(t.queue_ms)).dump();
  out += ",\"inference_ms\":";
  out += Json(rounded_ms(t.inference_ms)).dump();
  out += ",\"total_ms\":";
  out += Json(rounded_ms(t.total_ms)).dump();
  out += "},\"devices\":[";
  for (std::size_t i = 0; i < result.devices.size(); ++i) {
    if (i > 0) out.push_back(',');
    append_json_string(out, result.devices[i]);
  }
  out += "]}";
  return out;
}

void install_routes(Router& router, Service& service, RouteOptions options) {
  const std::size_t max_batch_items = options.max_batch_items;
  router.add("POST", "/api/predict",
             [&service, max_batch_items](Exchange& e) { predict(service, max_batch_items, e); });
  router.add("GET", "/health", [&service](Exchange& e) { answer_json(e, [&] { return service.health(); }); });
  router.add("POST", "/api/fallback",
             [&service](Exchange& e) { answer_json(e, [&] { return service.fallback_to_cpu(); }); });
  router.add("POST", "/api/restore", [&service](Exchange& e) { answer_json(e, [&] { return service.restore(); }); });
  router.add("GET", "/v2/health/live", [&service](Exchange& e) { probe(e, "live", service.live()); });
  router.add("GET", "/v2/health/ready", [&service](Exchange& e) { probe(e, "ready", service.ready()); });
  install_v2_routes(router, service, V2RouteOptions{max_batch_items});
  install_openapi_route(router);
  router.add("GET", "/metrics", [&service](Exchange& e) {
    try {
      HttpResponse response;
      response.content_type = "text/plain; version=0.0.4; charset=utf-8";
      response.body = service.metrics().serialize();
      e.respond(std::move(response));
    } catch (const std::exception& error) {
      e.respond(internal_error(error, e.request.request_id));
    }
  });
  router.add("GET", "/info", [&service, http_info = std::move(options.http_info)](Exchange& e) {
    answer_json(e, [&] {
      Json info = service.info();
      if (!info.is_object()) info = Json{{"service", info}};
      info["http"] = http_info;
      info["cpu"] = cpu_runtime_info(info);
      info["routes"] = kRouteList;
      return info;
    });
  });

  router.add("GET", "/", serve_asset);
  router.add("GET", "/assets/*", serve_asset, "/assets/{file}");
  for (const WebAsset& asset : web_assets()) {
    if (router.match("GET", asset.path).handler == nullptr)
      router.add("GET", std::string(asset.path), serve_asset, "/{asset}");
  }
}

}  // namespace uninlu
