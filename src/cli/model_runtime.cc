#include "cli/model_runtime.h"

#include "engine/cpu/cpu_backend.h"
#include "http/server_config.h"

namespace uninlu::cli {

void add_model_options(CLI::App& app, ModelArgs& args) {
  app.add_option("--model", args.model_dir, "model directory (default: the bundled model, or $UNINLU_MODEL)");
  app.add_option("--threads", args.threads, "CPU threads (0: all cores)")->capture_default_str();
  app.add_option("--precision", args.precision, "CPU precision: fp32, bf16 or int8")->capture_default_str();
  app.add_option("--max-text-chars", args.limits.max_text_chars, "longest text accepted")->capture_default_str();
  app.add_option("--max-schema-depth", args.limits.max_schema_depth, "deepest schema accepted")->capture_default_str();
  app.add_option("--max-schema-keys", args.limits.max_schema_keys, "most schema keys accepted")->capture_default_str();
  app.add_option("--max-prompts", args.limits.max_prompts, "most prompt evaluations per request")->capture_default_str();
}

ModelRuntime::ModelRuntime(const ModelArgs& args)
    : model(load_model_dir(args.model_dir.empty() ? default_model_dir() : args.model_dir)),
      tokenizer(model.tokenizer),
      backend(make_cpu_backend(model.config, model.weights, {parse_precision(args.precision), args.threads})),
      limits(args.limits) {}

}  // namespace uninlu::cli
