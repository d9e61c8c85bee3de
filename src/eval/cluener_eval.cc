#include "eval/cluener_eval.h"

#include <chrono>
#include <cstdio>

#include "core/error.h"
#include "core/utf8.h"
#include "pipeline/run_task.h"
#include "pipeline/schema.h"

namespace uninlu::eval {
namespace {

std::vector<std::string> names_of(const std::vector<EntityType>& types) {
  std::vector<std::string> names;
  for (const auto& t : types) names.push_back(t.name);
  return names;
}

// Terminal columns: East Asian wide characters take two.
std::size_t display_width(const std::string& s) {
  std::size_t w = 0;
  for (const char32_t c : decode_utf8(s)) {
    const bool wide = (c >= 0x1100 && c <= 0x115F) || (c >= 0x2E80 && c <= 0xA4CF) || (c >= 0xAC00 && c <= 0xD7A3) ||
                      (c >= 0xF900 && c <= 0xFAFF) || (c >= 0xFE30 && c <= 0xFE4F) || (c >= 0xFF00 && c <= 0xFF60) ||
                      (c >= 0xFFE0 && c <= 0xFFE6) || (c >= 0x20000 && c <= 0x3FFFD);
    w += wide ? 2 : 1;
  }
  return w;
}

std::string pad(const std::string& s, std::size_t width) {
  const std::size_t w = display_width(s);
  return w >= width ? s + " " : s + std::string(width - w, ' ');
}

std::string row(const std::string& name, const std::string& prompt, const Counts& c) {
  const Scores s = scores(c);
  char buf[128];
  std::snprintf(buf, sizeof buf, "%8.4f %8.4f %8.4f %6zu %6zu %6zu", s.precision, s.recall, s.f1, c.tp, c.pred, c.gold);
  return pad(name, 14) + pad(prompt, 10) + buf + "\n";
}

nlohmann::ordered_json scores_json(const Counts& c) {
  const Scores s = scores(c);
  return {{"precision", s.precision}, {"recall", s.recall}, {"f1", s.f1}, {"tp", c.tp}, {"pred", c.pred}, {"gold", c.gold}};
}

}  // namespace

nlohmann::ordered_json schema_for(const std::vector<EntityType>& types) {
  nlohmann::ordered_json schema = nlohmann::ordered_json::object();
  for (const auto& t : types) schema[t.prompt] = nullptr;
  return schema;
}

std::vector<Entity> chains_to_entities(const std::vector<ResultChain>& chains, const std::vector<EntityType>& types) {
  std::vector<Entity> out;
  for (const auto& chain : chains) {
    if (chain.size() != 1) fail(ErrorKind::Internal, "a flat schema gave a result chain of " + std::to_string(chain.size()) + " items");
    const ResultItem& item = chain.front();
    const EntityType* type = nullptr;
    for (const auto& t : types) {
      if (t.prompt == item.type) type = &t;
    }
    if (type == nullptr) fail(ErrorKind::Internal, "the pipeline returned type '" + item.type + "', which is no prompt");
    out.push_back(entity_from_offset(type->name, item.begin, item.end));
  }
  return out;
}

EvalResult evaluate(Backend& backend, const BertTokenizer& tokenizer, const std::vector<CluenerExample>& examples,
                    const std::vector<EntityType>& types, const PipelineLimits& limits, const EvalOptions& options) {
  EvalResult result(names_of(types));
  const Schema schema = Schema::from_json(schema_for(types), limits);
  const auto start = std::chrono::steady_clock::now();
  for (std::size_t i = 0; i < examples.size(); ++i) {
    const CluenerExample& ex = examples[i];
    std::vector<ResultChain> chains;
    try {
      PredictionTask task(tokenizer, ex.text, schema, false, limits);
      run_task(backend, task, options.max_batch_tokens);
      chains = task.results();
      result.prompts += task.prompts_evaluated();
    } catch (const Error& e) {
      if (e.kind() != ErrorKind::InvalidInput && e.kind() != ErrorKind::LimitExceeded) throw;
      fail(e.kind(), "line " + std::to_string(ex.line) + ": " + e.what());
    }
    result.scorer.add(ex.gold, chains_to_entities(chains, types));
    if (options.progress) options.progress(i + 1, examples.size());
  }
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

std::string format_report(const EvalResult& result, const std::vector<EntityType>& types) {
  std::string out = pad("type", 14) + pad("prompt", 10) + "       P        R       F1     tp   pred   gold\n";
  for (std::size_t i = 0; i < types.size(); ++i) out += row(types[i].name, types[i].prompt, result.scorer.counts(i));
  out += row("micro", "", result.scorer.micro());
  return out;
}

nlohmann::ordered_json report_json(const EvalResult& result, const std::vector<EntityType>& types) {
  nlohmann::ordered_json per_type = nlohmann::ordered_json::object();
  for (std::size_t i = 0; i < types.size(); ++i) {
    auto j = scores_json(result.scorer.counts(i));
    j["prompt"] = types[i].prompt;
    per_type[types[i].name] = std::move(j);
  }
  const double texts = static_cast<double>(result.scorer.texts());
  return {{"texts", result.scorer.texts()},
          {"micro", scores_json(result.scorer.micro())},
          {"types", std::move(per_type)},
          {"seconds", result.seconds},
          {"prompts", result.prompts},
          {"texts_per_second", result.seconds > 0.0 ? texts / result.seconds : 0.0}};
}

}  // namespace uninlu::eval
