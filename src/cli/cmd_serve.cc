// uninlu serve: the HTTP API, a drop-in for the original Flask app (same routes, config.json and flags).
#include <memory>

#include "cli/command.h"
#include "core/error.h"
#include "grpc/grpc_server.h"
#include "http/serve_app.h"
#include "http/server_config.h"
#include "serving/inference_service.h"

namespace uninlu::cli {
namespace {

const RegisterCommand kServe{
    "serve", "Serve the HTTP API (POST /api/predict, GET /health, ...) on port 7860, and gRPC with --grpc-port", [](CLI::App& sub) -> CommandRun {
      auto flags = std::make_shared<ServeFlags>();
      auto allow_null = std::make_shared<bool>(false);
      flags->add_to(sub);
      sub.add_flag("--allow-null-device", *allow_null,
                   "allow device \"null\" (fixed logits, no model: for benchmarking the host path only)");
      return [flags, allow_null] {
        return run_serve(*flags, [allow_null](const ServiceOptions& options) {
          // The null device answers with a fixed pattern, not the model: never serve it by mistake.
          if (options.device == "null" && !*allow_null) {
            fail(ErrorKind::Usage,
                 "device \"null\" answers with fixed logits, not the model; it is for benchmarking the host path "
                 "(uninlu bench --device null). To serve it anyway, add --allow-null-device");
          }
          return make_inference_service(options);
        }, grpc_front_end());
      };
    }};

}  // namespace
}  // namespace uninlu::cli
