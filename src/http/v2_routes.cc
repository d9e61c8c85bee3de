#include "http/v2_routes.h"

#include <memory>
#include <optional>
#include <vector>

#include "http/json_response.h"
#include "http/predict_request.h"
#include "http/v2_protocol.h"

#ifndef UNINLU_VERSION_STRING
#define UNINLU_VERSION_STRING "0"
#endif

namespace uninlu {

namespace {

using Json = nlohmann::ordered_json;

HttpResponse v2_error(int status, std::string_view message) {
  HttpResponse response = json_response(status, v2_error_body(message));
  if (status == 429) response.headers.emplace_back("Retry-After", "1");  // as /api/predict's 429
  return response;
}

HttpResponse v2_error(ErrorKind kind, std::string_view message) { return v2_error(http_status(kind), message); }

// An infer exchange's texts (V2InferResults), answered when the last one is in.
class InferState {
 public:
  InferState(V2Model model, std::optional<std::string> id, std::size_t n, Respond respond)
      : model_(std::move(model)), id_(std::move(id)), results_(n), respond_(std::move(respond)) {}

  void complete(std::size_t i, PredictOutcome outcome) {
    if (results_.complete(i, std::move(outcome))) answer();
  }

  void release() {
    if (results_.release()) answer();
  }

 private:
  void answer() {
    if (const auto error = results_.error()) {
      respond_(v2_error(error->kind(), error->what()));
    } else {
      respond_(json_response(200, v2_infer_response(model_, id_, results_.results())));
    }
  }

  V2Model model_;
  std::optional<std::string> id_;
  V2InferResults results_;
  Respond respond_;
};

void infer(Service& service, const V2Model& model, std::size_t max_items, Exchange& exchange) {
  const HttpRequest& http = exchange.request;
  if (auto problem = unsupported_content_type(http.content_type)) {
    exchange.respond(v2_error(415, *problem));
    return;
  }
  try {
    const V2InferRequest request = parse_v2_infer_request(parse_json_body(http.body), max_items);
    const std::size_t n = request.texts.size();
    auto state = std::make_shared<InferState>(model, request.id, n, exchange.respond);
    for (std::size_t i = 0; i < n; ++i) {
      try {
        PredictRequest one = v2_predict_request(request, i, http.request_id + "." + std::to_string(i));
        one.model = model.name;
        exchange.track(service.predict(std::move(one), exchange.deadline,
                                       [state, i](PredictOutcome outcome) { state->complete(i, std::move(outcome)); }));
      } catch (const Error& e) {
        state->complete(i, PredictOutcome{std::nullopt, e});
      } catch (const std::exception& e) {
        state->complete(i, PredictOutcome{std::nullopt, Error(ErrorKind::Internal, std::string("a bug: ") + e.what())});
      }
    }
    state->release();
  } catch (const Error& e) {
    exchange.respond(v2_error(e.kind(), e.what()));
  } catch (const std::exception& e) {
    exchange.respond(v2_error(500, std::string("internal error (a bug; please report it): ") + e.what()));
  }
}

// The model a path names, or the protocol's 404 naming the models there are.
std::optional<ModelStatus> find_model(Service& service, const std::string& name, Exchange& exchange) {
  try {
    return uninlu::find_model(service, name);
  } catch (const Error& e) {
    exchange.respond(v2_error(e.kind(), e.what()));
    return std::nullopt;
  }
}

HttpResponse v2_ok() { return json_response(200, Json::object()); }

// POST /v2/repository/models/{name}/load|unload: answered when the model has loaded or unloaded.
void repository_model_route(Service& service, Exchange& exchange) {
  const std::string& path = exchange.request.path;
  constexpr std::string_view prefix = "/v2/repository/models/";
  const auto slash = path.rfind('/');
  const std::string action = path.substr(slash + 1);
  const std::string name = slash > prefix.size() ? path.substr(prefix.size(), slash - prefix.size()) : "";
  if ((action != "load" && action != "unload") || name.empty() || name.find('/') != std::string::npos) {
    exchange.respond(v2_error(404, "no route for " + path + " (repository routes: POST /v2/repository/index, "
                                   "/v2/repository/models/{name}/load and /v2/repository/models/{name}/unload)"));
    return;
  }
  if (!find_model(service, name, exchange)) return;
  try {
    ModelCallback done = [respond = exchange.respond](std::optional<Error> error) {
      respond(error ? v2_error(error->kind(), error->what()) : v2_ok());
    };
    if (action == "load") {
      service.load_model(name, std::move(done));
    } else {
      service.unload_model(name, std::move(done));
    }
  } catch (const Error& e) {
    exchange.respond(v2_error(e.kind(), e.what()));
  } catch (const std::exception& e) {
    exchange.respond(v2_error(500, std::string("internal error (a bug; please report it): ") + e.what()));
  }
}

// POST /v2/repository/index: [{"name", "version", "state", "reason"}], as Triton answers it.
void repository_index(Service& service, Exchange& exchange) {
  Json index = Json::array();
  for (const auto& model : service.models()) {
    Json entry{{"name", model.name}, {"version", std::string(kV2ModelVersion)}, {"state", model.state}};
    if (!model.reason.empty()) entry["reason"] = model.reason;
    index.push_back(std::move(entry));
  }
  exchange.respond(json_response(200, index));
}

void model_route(Service& service, std::size_t max_items, Exchange& exchange) {
  const HttpRequest& http = exchange.request;
  const std::optional<V2ModelPath> path = parse_v2_model_path(http.path);
  if (!path) {
    exchange.respond(v2_error(404, "no route for " + http.path +
                                       " (v2 model routes: /v2/models/{name}[/versions/{version}][/ready|/infer])"));
    return;
  }
  const std::optional<ModelStatus> status = find_model(service, path->model, exchange);
  if (!status) return;
  const V2Model model{status->name};
  if (path->version && *path->version != model.version) {
    exchange.respond(v2_error(404, "model \"" + model.name + "\" has no version \"" + *path->version +
                                       "\"; its versions are [\"" + model.version + "\"]"));
    return;
  }
  const bool post = path->action == V2ModelPath::Action::Infer;
  const bool method_ok = post ? http.method == "POST" : (http.method == "GET" || http.method == "HEAD");
  if (!method_ok) {
    HttpResponse response =
        v2_error(405, http.path + " does not accept " + http.method + "; use " + (post ? "POST" : "GET"));
    response.headers.emplace_back("Allow", post ? "POST" : "GET, HEAD");
    exchange.respond(std::move(response));
    return;
  }
  try {
    switch (path->action) {
      case V2ModelPath::Action::Metadata:
        exchange.respond(json_response(200, v2_model_metadata(model)));
        return;
      case V2ModelPath::Action::Ready: {
        const bool ready = status->state == "READY" && service.ready();
        exchange.respond(json_response(ready ? 200 : 503, v2_model_ready(model, ready)));
        return;
      }
      case V2ModelPath::Action::Infer:
        infer(service, model, max_items, exchange);
        return;
    }
  } catch (const std::exception& e) {
    exchange.respond(v2_error(500, std::string("internal error (a bug; please report it): ") + e.what()));
  }
}

}  // namespace

void install_v2_routes(Router& router, Service& service, V2RouteOptions options) {
  const std::size_t max_items = options.max_batch_items;
  Handler handler = [&service, max_items](Exchange& e) { model_route(service, max_items, e); };

  router.add("GET", "/v2",
             [](Exchange& e) { e.respond(json_response(200, v2_server_metadata(UNINLU_VERSION_STRING))); });
  // The served models' own paths, so that metrics label them by route; any other model name or version
  // reaches the prefix routes below, which answer 404 (or 405) with the protocol's error object.
  for (const auto& served : service.models()) {
    const std::string base = "/v2/models/" + served.name;
    const std::string versioned = base + "/versions/" + std::string(kV2ModelVersion);
    for (const auto& [path, label] : {std::pair{base, std::string("/v2/models/{model}")},
                                      std::pair{versioned, std::string("/v2/models/{model}/versions/{version}")}}) {
      router.add("GET", path, handler, label);
      router.add("GET", path + "/ready", handler, label + "/ready");
      router.add("POST", path + "/infer", handler, label + "/infer");
    }
  }
  router.add("GET", "/v2/models/*", handler, "/v2/models/{other}");
  router.add("POST", "/v2/models/*", handler, "/v2/models/{other}");
  router.add("POST", "/v2/repository/index", [&service](Exchange& e) { repository_index(service, e); });
  router.add("POST", "/v2/repository/models/*", [&service](Exchange& e) { repository_model_route(service, e); },
             "/v2/repository/models/{model}/{action}");
}

}  // namespace uninlu
