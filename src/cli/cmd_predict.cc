// uninlu predict: run the pipeline on one text or a JSON-lines file and print the reference output format.
#include <cstdio>
#include <fstream>
#include <iostream>

#include "cli/command.h"
#include "cli/model_runtime.h"
#include "core/error.h"
#include "pipeline/prediction.h"
#include "pipeline/run_task.h"

namespace uninlu::cli {
namespace {

struct PredictArgs {
  ModelArgs model;
  std::string text;
  std::string schema;
  std::string input;
  bool output_all_prefix = false;
  std::size_t max_batch_tokens = 16384;
};

nlohmann::ordered_json error_json(const Error& e) {
  return {{"error", e.what()}, {"kind", error_kind_name(e.kind())}};
}

std::string predict_one(ModelRuntime& runtime, const std::string& text, const nlohmann::ordered_json& schema,
                        bool output_all_prefix, std::size_t max_batch_tokens) {
  PredictionTask task(*runtime.tokenizer, text, Schema::from_json(schema, runtime.limits), output_all_prefix,
                      runtime.limits);
  run_task(*runtime.backend, task, max_batch_tokens);
  return task.output_json().dump(-1, ' ', false);
}

int run_predict(const PredictArgs& args) {
  const bool single = !args.text.empty() || !args.schema.empty();
  if (single == !args.input.empty()) fail(ErrorKind::Usage, "give either --text and --schema, or --input FILE");
  if (single && (args.text.empty() || args.schema.empty())) fail(ErrorKind::Usage, "--text and --schema go together");
  ModelRuntime runtime(args.model);
  if (single) {
    // The schema flag is the JSON text of the schema object.
    std::cout << predict_one(runtime, args.text, nlohmann::ordered_json(args.schema), args.output_all_prefix,
                             args.max_batch_tokens)
              << "\n";
    return 0;
  }
  std::ifstream file;
  if (args.input != "-") {
    file.open(args.input, std::ios::binary);
    if (!file) fail(ErrorKind::Usage, "cannot open --input " + args.input);
  }
  std::istream& in = args.input == "-" ? std::cin : file;
  std::string line;
  std::size_t line_no = 0;
  std::size_t failures = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    try {
      nlohmann::ordered_json c;
      try {
        c = nlohmann::ordered_json::parse(line);
      } catch (const nlohmann::json::exception& e) {  // parse_error; out_of_range for 1e999
        fail(ErrorKind::InvalidInput, "line " + std::to_string(line_no) + " is not JSON: " + e.what());
      }
      if (!c.is_object()) fail(ErrorKind::InvalidInput, "line " + std::to_string(line_no) + " is not a JSON object");
      if (!c.contains("text") || !c["text"].is_string()) {
        fail(ErrorKind::InvalidInput, "line " + std::to_string(line_no) + ": \"text\" must be a string");
      }
      if (!c.contains("schema")) fail(ErrorKind::InvalidInput, "line " + std::to_string(line_no) + ": \"schema\" is missing");
      bool all_prefix = args.output_all_prefix;
      if (c.contains("output_all_prefix")) {
        if (!c["output_all_prefix"].is_boolean()) {
          fail(ErrorKind::InvalidInput, "line " + std::to_string(line_no) + ": \"output_all_prefix\" must be true or false");
        }
        all_prefix = c["output_all_prefix"].get<bool>();
      }
      std::cout << predict_one(runtime, c["text"].get<std::string>(), c["schema"], all_prefix, args.max_batch_tokens)
                << "\n";
    } catch (const Error& e) {
      if (e.kind() != ErrorKind::InvalidInput && e.kind() != ErrorKind::LimitExceeded) throw;
      ++failures;
      std::cout << error_json(e).dump(-1, ' ', false) << "\n";
      std::fprintf(stderr, "error: line %zu: %s\n", line_no, e.what());
    }
    std::cout.flush();
  }
  return failures == 0 ? 0 : exit_code(ErrorKind::InvalidInput);
}

const RegisterCommand kRegister(
    "predict", "Run the pipeline on a text (or a JSON-lines file) and print the reference output", [](CLI::App& sub) {
      auto args = std::make_shared<PredictArgs>();
      add_model_options(sub, args->model);
      sub.add_option("--text", args->text, "input text");
      sub.add_option("--schema", args->schema, "schema as JSON, e.g. '{\"人物\": null}'");
      sub.add_option("--input", args->input,
                     "JSON-lines file ('-' for stdin): {\"text\", \"schema\", \"output_all_prefix\"?} per line; "
                     "prints one output (or {\"error\"}) line per input line");
      sub.add_flag("--output-all-prefix", args->output_all_prefix, "also emit the chains of non-leaf schema keys");
      sub.add_option("--max-batch-tokens", args->max_batch_tokens, "tokens per backend call")->capture_default_str();
      return [args] { return run_predict(*args); };
    });

}  // namespace
}  // namespace uninlu::cli
