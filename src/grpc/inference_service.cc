#include "grpc/inference_service.h"

#include <grpcpp/alarm.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "grpc/infer_codec.h"
#include "grpc/status_codes.h"
#include "http/request_id.h"
#include "serving/metrics.h"

#ifndef UNINLU_VERSION_STRING
#define UNINLU_VERSION_STRING "0"
#endif

namespace uninlu {

namespace {

using Clock = std::chrono::steady_clock;

void record(Service& service, std::string_view method, Clock::time_point start, grpc::StatusCode code) {
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  service.metrics().observe_http(grpc_route_label(method), "POST", http_status_of(code), seconds);
}

std::string metadata_value(const grpc::CallbackServerContext* context, std::string_view key) {
  const auto& metadata = context->client_metadata();
  const auto found = metadata.find(grpc::string_ref(key.data(), key.size()));
  if (found == metadata.end()) return {};
  return std::string(found->second.data(), found->second.size());
}

// The request's deadline: our request timeout, or the client's gRPC deadline when that is sooner.
Clock::time_point deadline_of(const grpc::CallbackServerContext* context, std::chrono::milliseconds timeout) {
  const auto now = Clock::now();
  const auto ours = now + timeout;
  const auto theirs = context->deadline();  // system_clock; time_point::max() when the client set none
  const auto left = theirs - std::chrono::system_clock::now();
  if (left >= timeout) return ours;
  return now + std::chrono::duration_cast<Clock::duration>(std::max(left, decltype(left)::zero()));
}

RequestIdGenerator& request_ids() {
  static RequestIdGenerator generator;
  return generator;
}

// The Service requests of one RPC, shared with the deadline alarm (which may fire after the RPC is done).
struct TrackedRequests {
  explicit TrackedRequests(Service& s) : service(s) {}
  void add(RequestId id) {
    const std::lock_guard lock(mutex);
    ids.push_back(id);
  }
  void cancel_all(ErrorKind reason) {
    std::vector<RequestId> taken;
    {
      const std::lock_guard lock(mutex);
      taken.swap(ids);
    }
    for (const RequestId id : taken) service.cancel(id, reason);
  }
  Service& service;
  std::mutex mutex;
  std::vector<RequestId> ids;
};

// One ModelInfer: N predictions collected in order, the RPC finished when the last one is in. One failed
// text fails the RPC (the protocol has no per-element errors): the first by index, as in REST.
class InferReactor final : public grpc::ServerUnaryReactor {
 public:
  InferReactor(Service& service, V2Model model, V2InferRequest request, bool raw,
               inference::ModelInferResponse* response, Clock::time_point start)
      : service_(service),
        model_(std::move(model)),
        request_(std::move(request)),
        raw_(raw),
        response_(response),
        start_(start),
        results_(request_.texts.size()) {}

  void submit(Clock::time_point deadline, const std::string& request_id) {
    for (std::size_t i = 0; i < request_.texts.size(); ++i) {
      try {
        PredictRequest one = v2_predict_request(request_, i, request_id + "." + std::to_string(i));
        one.model = model_.name;
        tracked_->add(service_.predict(std::move(one), deadline,
                                       [this, i](PredictOutcome outcome) { complete(i, std::move(outcome)); }));
      } catch (const Error& e) {
        complete(i, PredictOutcome{std::nullopt, e});
      } catch (const std::exception& e) {
        complete(i, PredictOutcome{std::nullopt, Error(ErrorKind::Internal, std::string("a bug: ") + e.what())});
      }
    }
    // The Service drops only queued work at the deadline; a running step is stopped here, as the REST
    // session's deadline timer does. A client deadline that comes first cancels the RPC (OnCancel).
    const auto when = std::chrono::system_clock::now() + (deadline - Clock::now());
    alarm_.Set(when, [weak = std::weak_ptr<TrackedRequests>(tracked_)](bool fired) {
      if (!fired) return;  // cancelled: the RPC finished first
      if (auto tracked = weak.lock()) tracked->cancel_all(ErrorKind::Timeout);
    });
    release();  // the submitting loop's share
  }

  // The client left or its deadline passed: the texts still running are dropped.
  void OnCancel() override {
    const bool expired = std::chrono::system_clock::now() >= deadline_hint_;
    tracked_->cancel_all(expired ? ErrorKind::Timeout : ErrorKind::Unavailable);
  }

  void OnDone() override { delete this; }

  void set_deadline_hint(std::chrono::system_clock::time_point when) { deadline_hint_ = when; }

 private:
  void complete(std::size_t i, PredictOutcome outcome) {
    if (results_.complete(i, std::move(outcome))) finish();
  }

  void release() {
    if (results_.release()) finish();
  }

  void finish() {
    grpc::Status status;
    if (const auto error = results_.error()) {
      status = grpc::Status(grpc_code(error->kind()), error->what());
    } else {
      try {
        fill_grpc_infer_response(model_, request_, raw_, results_.results(), *response_);
      } catch (const std::exception& e) {
        status = grpc::Status(grpc::StatusCode::INTERNAL, std::string("internal error (a bug): ") + e.what());
      }
    }
    alarm_.Cancel();
    record(service_, "ModelInfer", start_, status.error_code());
    Finish(status);  // after this the reactor may be deleted: nothing follows
  }

  Service& service_;
  V2Model model_;
  V2InferRequest request_;
  bool raw_;
  inference::ModelInferResponse* response_;
  Clock::time_point start_;
  std::chrono::system_clock::time_point deadline_hint_ = std::chrono::system_clock::time_point::max();
  V2InferResults results_;
  std::shared_ptr<TrackedRequests> tracked_ = std::make_shared<TrackedRequests>(service_);
  grpc::Alarm alarm_;
};

}  // namespace

std::string grpc_route_label(std::string_view method) {
  return "grpc:/inference.GRPCInferenceService/" + std::string(method);
}

GrpcInferenceService::GrpcInferenceService(uninlu::Service& service, const AccessControl& access, GrpcServiceOptions options)
    : service_(service), access_(access), options_(std::move(options)) {}

grpc::ServerUnaryReactor* GrpcInferenceService::finish(grpc::CallbackServerContext* context, std::string_view method,
                                                       Clock::time_point start, const grpc::Status& status) {
  record(service_, method, start, status.error_code());
  auto* reactor = context->DefaultReactor();
  reactor->Finish(status);
  return reactor;
}

grpc::Status GrpcInferenceService::check_access(grpc::CallbackServerContext* context, const std::string& path) const {
  HttpRequest request;
  request.method = "POST";
  request.path = path;
  request.authorization = metadata_value(context, "authorization");
  const std::string peer = context->peer();  // "ipv4:127.0.0.1:5000", "ipv6:[::1]:5000"
  request.from_loopback = peer.rfind("ipv4:127.", 0) == 0 || peer.rfind("ipv6:[::1]", 0) == 0;
  std::string fingerprint;
  const std::optional<HttpResponse> refused = access_.check(request, fingerprint);
  if (!refused) return grpc::Status::OK;
  std::string message = "access denied";
  try {
    message = nlohmann::json::parse(refused->body).at("error").get<std::string>();
  } catch (const std::exception&) {
    // the status code alone still tells the client what is wrong
  }
  return {grpc_code_of_http(refused->status), message};
}

grpc::Status GrpcInferenceService::check_model(const std::string& name, const std::string& version,
                                               ModelStatus& found) const {
  try {
    found = find_model(service_, name);
  } catch (const Error& e) {
    return {grpc_code(e.kind()), e.what()};
  }
  if (!version.empty() && version != kV2ModelVersion) {
    return {grpc::StatusCode::NOT_FOUND, "model \"" + name + "\" has no version \"" + version +
                                             "\"; its versions are [\"" + std::string(kV2ModelVersion) + "\"]"};
  }
  return grpc::Status::OK;
}

grpc::ServerUnaryReactor* GrpcInferenceService::ServerLive(grpc::CallbackServerContext* context,
                                                           const inference::ServerLiveRequest*,
                                                           inference::ServerLiveResponse* response) {
  const auto start = Clock::now();
  grpc::Status status = check_access(context, "/v2/health/live");
  if (status.ok()) response->set_live(service_.live());
  return finish(context, "ServerLive", start, status);
}

grpc::ServerUnaryReactor* GrpcInferenceService::ServerReady(grpc::CallbackServerContext* context,
                                                            const inference::ServerReadyRequest*,
                                                            inference::ServerReadyResponse* response) {
  const auto start = Clock::now();
  grpc::Status status = check_access(context, "/v2/health/ready");
  if (status.ok()) response->set_ready(service_.ready());
  return finish(context, "ServerReady", start, status);
}

grpc::ServerUnaryReactor* GrpcInferenceService::ModelReady(grpc::CallbackServerContext* context,
                                                           const inference::ModelReadyRequest* request,
                                                           inference::ModelReadyResponse* response) {
  const auto start = Clock::now();
  grpc::Status status = check_access(context, "/v2/models/" + request->name() + "/ready");
  ModelStatus model;
  if (status.ok()) status = check_model(request->name(), request->version(), model);
  if (status.ok()) response->set_ready(model.state == "READY" && service_.ready());
  return finish(context, "ModelReady", start, status);
}

grpc::ServerUnaryReactor* GrpcInferenceService::ServerMetadata(grpc::CallbackServerContext* context,
                                                               const inference::ServerMetadataRequest*,
                                                               inference::ServerMetadataResponse* response) {
  const auto start = Clock::now();
  grpc::Status status = check_access(context, "/v2");
  if (status.ok()) {
    const auto j = v2_server_metadata(UNINLU_VERSION_STRING);
    response->set_name(j["name"].get<std::string>());
    response->set_version(j["version"].get<std::string>());
    for (const auto& extension : j["extensions"]) response->add_extensions(extension.get<std::string>());
  }
  return finish(context, "ServerMetadata", start, status);
}

grpc::ServerUnaryReactor* GrpcInferenceService::ModelMetadata(grpc::CallbackServerContext* context,
                                                              const inference::ModelMetadataRequest* request,
                                                              inference::ModelMetadataResponse* response) {
  const auto start = Clock::now();
  grpc::Status status = check_access(context, "/v2/models/" + request->name());
  ModelStatus model;
  if (status.ok()) status = check_model(request->name(), request->version(), model);
  if (status.ok()) fill_grpc_model_metadata(V2Model{model.name}, *response);
  return finish(context, "ModelMetadata", start, status);
}

grpc::ServerUnaryReactor* GrpcInferenceService::ModelInfer(grpc::CallbackServerContext* context,
                                                           const inference::ModelInferRequest* request,
                                                           inference::ModelInferResponse* response) {
  const auto start = Clock::now();
  const std::string request_id = request_ids().accept_or_next(metadata_value(context, "x-request-id"));
  context->AddInitialMetadata("x-request-id", request_id);
  grpc::Status status = check_access(context, "/v2/models/" + request->model_name() + "/infer");
  ModelStatus model;
  if (status.ok()) status = check_model(request->model_name(), request->model_version(), model);
  if (!status.ok()) return finish(context, "ModelInfer", start, status);
  V2InferRequest parsed;
  try {
    parsed = parse_grpc_infer_request(*request, options_.max_batch_items);
  } catch (const Error& e) {
    return finish(context, "ModelInfer", start, grpc::Status(grpc_code(e.kind()), e.what()));
  } catch (const std::exception& e) {
    return finish(context, "ModelInfer", start,
                  grpc::Status(grpc::StatusCode::INTERNAL, std::string("internal error (a bug): ") + e.what()));
  }
  auto* reactor = new InferReactor(service_, V2Model{model.name}, std::move(parsed), request->raw_input_contents_size() > 0,
                                   response, start);
  reactor->set_deadline_hint(context->deadline());
  reactor->submit(deadline_of(context, options_.request_timeout), request_id);
  return reactor;
}

}  // namespace uninlu
