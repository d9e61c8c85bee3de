#pragma once
// GRPCInferenceService on the callback API: ModelInfer hands each text to Service::predict (which does
// not block) and finishes the RPC from the last prediction's callback, so no gRPC thread waits on the
// model. Access, limits, the deadline and the per-route metrics follow the REST routes.
#include <chrono>
#include <cstddef>
#include <string>

#include "grpc_predict_v2.grpc.pb.h"
#include "http/access_control.h"
#include "http/v2_protocol.h"
#include "serving/service.h"

namespace uninlu {

struct GrpcServiceOptions {
  std::size_t max_batch_items = 64;
  std::chrono::milliseconds request_timeout{30000};  // the RPC's deadline applies when it is sooner
};

class GrpcInferenceService final : public inference::GRPCInferenceService::CallbackService {
 public:
  // `access` decides who may call, as for the REST route each RPC mirrors (ModelInfer as
  // /v2/models/{name}/infer, ServerLive as /v2/health/live...). Both must outlive the service.
  GrpcInferenceService(uninlu::Service& service, const AccessControl& access, GrpcServiceOptions options);

  grpc::ServerUnaryReactor* ServerLive(grpc::CallbackServerContext* context, const inference::ServerLiveRequest* request,
                                       inference::ServerLiveResponse* response) override;
  grpc::ServerUnaryReactor* ServerReady(grpc::CallbackServerContext* context,
                                        const inference::ServerReadyRequest* request,
                                        inference::ServerReadyResponse* response) override;
  grpc::ServerUnaryReactor* ModelReady(grpc::CallbackServerContext* context, const inference::ModelReadyRequest* request,
                                       inference::ModelReadyResponse* response) override;
  grpc::ServerUnaryReactor* ServerMetadata(grpc::CallbackServerContext* context,
                                           const inference::ServerMetadataRequest* request,
                                           inference::ServerMetadataResponse* response) override;
  grpc::ServerUnaryReactor* ModelMetadata(grpc::CallbackServerContext* context,
                                          const inference::ModelMetadataRequest* request,
                                          inference::ModelMetadataResponse* response) override;
  grpc::ServerUnaryReactor* ModelInfer(grpc::CallbackServerContext* context, const inference::ModelInferRequest* request,
                                       inference::ModelInferResponse* response) override;

 private:
  // Answers a unary RPC at once and records it in the metrics.
  grpc::ServerUnaryReactor* finish(grpc::CallbackServerContext* context, std::string_view method,
                                   std::chrono::steady_clock::time_point start, const grpc::Status& status);
  // A status other than OK when the caller may not call the REST route `path`.
  grpc::Status check_access(grpc::CallbackServerContext* context, const std::string& path) const;
  // NOT_FOUND unless `name` is one of the Service's models (and `version`, when not empty, its version);
  // `found` is set to it.
  grpc::Status check_model(const std::string& name, const std::string& version, ModelStatus& found) const;

  uninlu::Service& service_;  // qualified: the generated base class has a nested Service
  const AccessControl& access_;
  GrpcServiceOptions options_;
};

// "grpc:/inference.GRPCInferenceService/ModelInfer": the route label of an RPC in /metrics.
std::string grpc_route_label(std::string_view method);

}  // namespace uninlu
