// uninlu eval: entity-level precision / recall / F1 of the pipeline on a CLUENER-format file
// (docs/evaluation.md). Runs exactly what `uninlu predict` runs, one text at a time, with the schema
// {"地址": null, "书名": null, ...} built from --types.
#include <cstdio>
#include <iostream>
#include <unistd.h>

#include "cli/command.h"
#include "cli/model_runtime.h"
#include "core/error.h"
#include "eval/cluener_data.h"
#include "eval/cluener_eval.h"

namespace uninlu::cli {
namespace {

struct EvalArgs {
  ModelArgs model;
  std::string data;
  std::string types;
  std::size_t limit = 0;
  bool json = false;
  bool quiet = false;
  std::size_t max_batch_tokens = 16384;
};

int run_eval(const EvalArgs& args) {
  const auto types = args.types.empty() ? eval::cluener_types() : eval::parse_type_spec(args.types);
  const auto examples = eval::read_cluener_file(args.data, types, args.limit);
  if (examples.empty()) fail(ErrorKind::InvalidInput, "data file '" + args.data + "' has no examples");
  ModelRuntime runtime(args.model);

  eval::EvalOptions options;
  options.max_batch_tokens = args.max_batch_tokens;
  const bool show_progress = !args.quiet && isatty(fileno(stderr)) != 0;
  if (show_progress) {
    options.progress = [](std::size_t done, std::size_t total) {
      if (done % 50 == 0 || done == total) std::fprintf(stderr, "\r%zu/%zu texts", done, total);
      if (done == total) std::fprintf(stderr, "\n");
    };
  }
  const eval::EvalResult result =
      eval::evaluate(*runtime.backend, *runtime.tokenizer, examples, types, runtime.limits, options);

  const std::string& model_dir = runtime.model.path;
  if (args.json) {
    nlohmann::ordered_json j = {{"model", model_dir}, {"data", args.data}};
    j.update(eval::report_json(result, types));
    j["threads"] = args.model.threads;
    j["precision_mode"] = args.model.precision;
    std::cout << j.dump(2, ' ', false) << "\n";
    return 0;
  }
  const double texts = static_cast<double>(result.scorer.texts());
  std::cout << "model " << model_dir << ", data " << args.data << " (" << result.scorer.texts() << " texts, "
            << result.scorer.micro().gold << " gold entities), precision " << args.model.precision << "\n\n"
            << eval::format_report(result, types) << "\n";
  std::printf("%zu texts, %zu prompts in %.2f s: %.1f texts/s, %.2f ms/text\n", result.scorer.texts(), result.prompts,
              result.seconds, result.seconds > 0.0 ? texts / result.seconds : 0.0,
              texts > 0.0 ? 1000.0 * result.seconds / texts : 0.0);
  return 0;
}

const RegisterCommand kRegister(
    "eval", "Entity-level P/R/F1 of the pipeline on a CLUENER-format JSON-lines file", [](CLI::App& sub) {
      auto args = std::make_shared<EvalArgs>();
      add_model_options(sub, args->model);
      sub.add_option("--data", args->data, "CLUENER JSON lines: {\"text\", \"label\": {type: {mention: [[b, e], ...]}}}")
          ->required();
      sub.add_option("--types", args->types,
                     "TYPE=PROMPT,... : the types to score and the schema key asked for each (default: the 10 "
                     "CLUENER types, address=地址,book=书名,company=公司,game=游戏,government=政府,movie=电影,"
                     "name=姓名,organization=组织机构,position=职位,scene=景点)");
      sub.add_option("--limit", args->limit, "evaluate only the first N examples (0: all)")->capture_default_str();
      sub.add_flag("--json", args->json, "print the figures as JSON");
      sub.add_flag("--quiet", args->quiet, "no progress on stderr");
      sub.add_option("--max-batch-tokens", args->max_batch_tokens, "tokens per backend call")->capture_default_str();
      return [args] { return run_eval(*args); };
    });

}  // namespace
}  // namespace uninlu::cli
