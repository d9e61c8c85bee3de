#pragma once
// Runs the pipeline (PredictionTask + run_task, the `uninlu predict` path) on CLUENER examples with one
// flat schema {prompt: null, ...} and scores the spans against the gold labels.
#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/backend.h"
#include "eval/cluener_data.h"
#include "eval/entity_metrics.h"
#include "pipeline/limits.h"
#include "pipeline/prediction.h"
#include "text/bert_tokenizer.h"

namespace uninlu::eval {

// {"地址": null, "书名": null, ...} in the order of `types`.
nlohmann::ordered_json schema_for(const std::vector<EntityType>& types);

// The pipeline's result chains (one item each for a flat schema) as entities, the prompt mapped back to
// its type. Error(Internal) for a chain that is not one item of a known prompt.
std::vector<Entity> chains_to_entities(const std::vector<ResultChain>& chains, const std::vector<EntityType>& types);

struct EvalOptions {
  std::size_t max_batch_tokens = 16384;
  std::function<void(std::size_t done, std::size_t total)> progress;  // called after each text, if set
};

struct EvalResult {
  explicit EvalResult(std::vector<std::string> type_names) : scorer(std::move(type_names)) {}
  EntityScorer scorer;
  double seconds = 0.0;      // pipeline time (tokenizing, model, decoding), not reading the file
  std::size_t prompts = 0;   // prompt evaluations (types x windows, summed over texts)
};

// Error(InvalidInput) naming the line when the pipeline refuses a text (e.g. one with nothing to tokenize).
EvalResult evaluate(Backend& backend, const BertTokenizer& tokenizer, const std::vector<CluenerExample>& examples,
                    const std::vector<EntityType>& types, const PipelineLimits& limits, const EvalOptions& options);

// The per-type table printed by `uninlu eval`, and the same figures as JSON.
std::string format_report(const EvalResult& result, const std::vector<EntityType>& types);
nlohmann::ordered_json report_json(const EvalResult& result, const std::vector<EntityType>& types);

}  // namespace uninlu::eval
