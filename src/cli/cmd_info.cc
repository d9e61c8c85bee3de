// `uninlu info --model DIR [--weights FILE] [--json]`: what a model directory holds, as uninlu reads it
// (config, parameter count, stored dtypes, file format, key layout, ignored tensors) and how long
// loading took. A model that does not load fails here with the same message the server would give.
#include <chrono>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "cli/command.h"
#include "model/model_dir.h"

namespace uninlu::cli {

namespace {

struct InfoOptions {
  std::string model_dir;
  std::string weights_file;
  bool json = false;
};

std::string with_thousands(std::int64_t n) {
  std::string digits = std::to_string(n);
  for (int i = static_cast<int>(digits.size()) - 3; i > 0; i -= 3) digits.insert(static_cast<std::size_t>(i), ",");
  return digits;
}

std::string joined(const std::vector<std::string>& items) {
  std::string text;
  for (const auto& item : items) text += (text.empty() ? "" : ", ") + item;
  return text.empty() ? "none" : text;
}

std::string task_of(const nlohmann::json& configuration) {
  if (!configuration.is_object()) return "unknown (no configuration.json)";
  const auto task = configuration.find("task");
  return task != configuration.end() && task->is_string() ? task->get<std::string>() + " (configuration.json)"
                                                          : "unknown (configuration.json names none)";
}

nlohmann::json describe_json(const ModelDir& m, double load_ms) {
  const ModelConfig& c = m.config;
  return {
      {"model", m.path},
      {"weights_file", m.weights_file},
      {"format", m.format},
      {"stored_dtype", m.stored_dtype},
      {"key_layout", key_layout_name(m.weights.layout)},
      {"config",
       {{"vocab_size", c.vocab_size},
        {"hidden_size", c.hidden_size},
        {"num_hidden_layers", c.num_hidden_layers},
        {"text_layers", c.text_layers()},
        {"cross_layers", c.cross_layers},
        {"num_attention_heads", c.num_attention_heads},
        {"intermediate_size", c.intermediate_size},
        {"max_position_embeddings", c.max_position_embeddings},
        {"type_vocab_size", c.type_vocab_size},
        // As written in config.json (1e-12), not as the float it is read into (9.99999996e-13).
        {"layer_norm_eps", c.raw.contains("layer_norm_eps") ? c.raw.at("layer_norm_eps") : nlohmann::json(1e-12)},
        {"hidden_act", c.hidden_act}}},
      {"config_json", c.raw},
      {"configuration", m.configuration},
      {"vocab_size", m.vocab ? m.vocab->size() : 0},
      {"tokenizer", nlohmann::json::parse(m.tokenizer_settings.to_json().dump())},
      {"parameters", m.parameter_count},
      {"ignored", m.weights.ignored},
      {"warnings", m.warnings},
      {"load_ms", load_ms},
  };
}

// One line: how the tokenizer normalizes, its special tokens, its added tokens and where that came from.
std::string tokenizer_summary(const TokenizerSettings& t) {
  const auto on_off = [](bool on) { return std::string(on ? "on" : "off"); };
  std::string text = (t.tokenizer_class.empty() ? std::string("BertTokenizerFast") : t.tokenizer_class) +
                     ", lowercase " + on_off(t.do_lower_case) + ", strip accents " +
                     on_off(t.effective_strip_accents()) + (t.strip_accents ? "" : " (follows lowercase)") +
                     ", chinese chars " + on_off(t.tokenize_chinese_chars) + ", model_max_length " +
                     (t.model_max_length ? std::to_string(*t.model_max_length) : std::string("unset")) +
                     "; special " + t.unk_token + " " + t.cls_token + " " + t.sep_token + " " + t.pad_token + " " +
                     t.mask_token;
  std::vector<std::string> added;
  for (const auto& token : t.added_tokens) added.push_back(token.content + (token.normalized ? " (normalized)" : ""));
  text += "; added tokens: " + joined(added) + "; from " +
          (t.files_read.empty() ? std::string("defaults (no tokenizer files)") : joined(t.files_read));
  return text;
}

void print_text(const ModelDir& m, double load_ms) {
  const ModelConfig& c = m.config;
  const auto line = [](const char* label, const std::string& value) {
    std::printf("%-11s %s\n", label, value.c_str());
  };
  line("model", m.path);
  line("weights", m.weights_file + " (" + m.format + ", stored " + m.stored_dtype + ")");
  line("key layout", std::string(key_layout_name(m.weights.layout)) + " (the last " + std::to_string(c.cross_layers) +
                         " layers are " +
                         (m.weights.layout == KeyLayout::CrossAttention
                              ? "crossattention.layer.0.." + std::to_string(c.cross_layers - 1)
                              : "plm.encoder.layer." + std::to_string(c.text_layers()) + ".." +
                                    std::to_string(c.num_hidden_layers - 1)) +
                         ")");
  char eps[32];
  std::snprintf(eps, sizeof eps, "%g", static_cast<double>(c.layer_norm_eps));
  line("config", "vocab " + std::to_string(c.vocab_size) + ", hidden " + std::to_string(c.hidden_size) + ", layers " +
                     std::to_string(c.num_hidden_layers) + " (" + std::to_string(c.text_layers()) + " text + " +
                     std::to_string(c.cross_layers) + " cross), heads " + std::to_string(c.num_attention_heads) +
                     ", intermediate " + std::to_string(c.intermediate_size) + ", max positions " +
                     std::to_string(c.max_position_embeddings) + ", token types " + std::to_string(c.type_vocab_size) +
                     ", layer_norm_eps " + eps + ", " + c.hidden_act);
  line("vocab", std::to_string(m.vocab ? m.vocab->size() : 0) + " tokens");
  line("tokenizer", tokenizer_summary(m.tokenizer_settings));
  line("parameters", with_thousands(m.parameter_count));
  line("ignored", joined(m.weights.ignored));
  line("task", task_of(m.configuration));
  char time[32];
  std::snprintf(time, sizeof time, "%.1f ms", load_ms);
  line("load time", time);
  for (const auto& warning : m.warnings) line("warning", warning);
}

int run_info(const InfoOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  const ModelDir model = load_model_dir(options.model_dir, options.weights_file);
  const std::chrono::duration<double, std::milli> load_time = std::chrono::steady_clock::now() - start;
  if (options.json) {
    std::printf("%s\n", describe_json(model, load_time.count()).dump(2).c_str());
  } else {
    print_text(model, load_time.count());
  }
  return 0;
}

const RegisterCommand kRegisterInfo{
    "info", "Describe a model directory: config, parameters, stored dtypes, key layout, load time",
    [](CLI::App& sub) -> CommandRun {
      auto options = std::make_shared<InfoOptions>();
      sub.add_option("--model", options->model_dir, "model directory (config.json, vocab.txt, pytorch_model.bin)")
          ->required();
      sub.add_option("--weights", options->weights_file,
                     "checkpoint to read instead of pytorch_model.bin (a name in the model directory, or a path)");
      sub.add_flag("--json", options->json, "print JSON instead of text");
      return [options] { return run_info(*options); };
    }};

}  // namespace

}  // namespace uninlu::cli
