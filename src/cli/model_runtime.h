#pragma once
// What the offline commands (predict, eval, bench in-process) share: the model directory, its tokenizer
// and a CPU backend, from the same --model/--threads/--precision options.
#include <memory>
#include <string>

#include <CLI/CLI.hpp>

#include "engine/backend.h"
#include "model/model_dir.h"
#include "pipeline/limits.h"
#include "text/bert_tokenizer.h"

namespace uninlu::cli {

struct ModelArgs {
  std::string model_dir;  // empty: the default model (see default_model_dir())
  int threads = 0;        // 0: all cores
  std::string precision = "fp32";
  PipelineLimits limits;
};

void add_model_options(CLI::App& app, ModelArgs& args);

struct ModelRuntime {
  explicit ModelRuntime(const ModelArgs& args);
  ModelDir model;
  std::shared_ptr<const BertTokenizer> tokenizer;
  std::unique_ptr<Backend> backend;
  PipelineLimits limits;
};

}  // namespace uninlu::cli
