// uninlu serve: the HTTP API, a drop-in for the original Flask app (same routes, config.json and flags).
#include <memory>

#include "cli/command.h"
#include "grpc/grpc_server.h"
#include "http/serve_app.h"
#include "http/server_config.h"
#include "serving/inference_service.h"

namespace uninlu::cli {
namespace {

const RegisterCommand kServe{
    "serve", "Serve the HTTP API (POST /api/predict, GET /health, ...) on port 7860, and gRPC with --grpc-port", [](CLI::App& sub) -> CommandRun {
      auto flags = std::make_shared<ServeFlags>();
      flags->add_to(sub);
      return [flags] {
        return run_serve(
            *flags, [](const ServiceOptions& options) { return make_inference_service(options); }, grpc_front_end());
      };
    }};

}  // namespace
}  // namespace uninlu::cli
