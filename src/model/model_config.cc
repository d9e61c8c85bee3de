#include "model/model_config.h"

#include <limits>

#include "core/error.h"
#include "core/mapped_file.h"

namespace uninlu {

namespace {

using nlohmann::json;

// Reads typed fields out of config.json, failing with the file and field named.
class FieldReader {
 public:
  FieldReader(const json& j, const std::string& source) : j_(j), source_(source) {}

  [[noreturn]] void invalid(const std::string& detail) const { fail(ErrorKind::ModelLoad, source_ + ": " + detail); }

  int required_positive_int(const char* field) const {
    const auto it = j_.find(field);
    if (it == j_.end() || it->is_null()) {
      invalid(std::string("field \"") + field + "\" is missing; SiameseUniNLU needs it to size the weights");
    }
    return positive_int(field, *it);
  }

  int optional_positive_int(const char* field, int fallback, std::vector<std::string>& warnings) const {
    const auto it = j_.find(field);
    if (it == j_.end() || it->is_null()) {
      warnings.push_back(std::string(field) + " is absent; using BertConfig's default " + std::to_string(fallback));
      return fallback;
    }
    return positive_int(field, *it);
  }

  float optional_positive_number(const char* field, float fallback, std::vector<std::string>& warnings) const {
    const auto it = j_.find(field);
    if (it == j_.end() || it->is_null()) {
      warnings.push_back(std::string(field) + " is absent; using BertConfig's default " + json(fallback).dump());
      return fallback;
    }
    if (!it->is_number()) invalid(std::string("field \"") + field + "\" must be a number, got " + describe(*it));
    const double value = it->get<double>();
    if (!(value > 0) || value > std::numeric_limits<float>::max()) {
      invalid(std::string("field \"") + field + "\" is " + it->dump() + "; it must be a positive number");
    }
    return static_cast<float>(value);
  }

  std::string optional_string(const char* field, const char* fallback, std::vector<std::string>& warnings) const {
    const auto it = j_.find(field);
    if (it == j_.end() || it->is_null()) {
      warnings.push_back(std::string(field) + " is absent; using BertConfig's default \"" + fallback + "\"");
      return fallback;
    }
    if (!it->is_string()) invalid(std::string("field \"") + field + "\" must be a string, got " + describe(*it));
    return it->get<std::string>();
  }

 private:
  static std::string describe(const json& v) {
    std::string text = v.dump();
    if (text.size() > 40) text = text.substr(0, 37) + "...";
    return text + " (" + v.type_name() + ")";
  }

  int positive_int(const char* field, const json& v) const {
    if (!v.is_number_integer()) invalid(std::string("field \"") + field + "\" must be an integer, got " + describe(v));
    const bool too_big = v.is_number_unsigned() ? v.get<std::uint64_t>() > std::numeric_limits<int>::max()
                                                : v.get<std::int64_t>() > std::numeric_limits<int>::max();
    if (too_big) invalid(std::string("field \"") + field + "\" is " + v.dump() + ", which is too large");
    const auto value = v.get<std::int64_t>();
    if (value <= 0) invalid(std::string("field \"") + field + "\" is " + v.dump() + "; it must be positive");
    return static_cast<int>(value);
  }

  const json& j_;
  const std::string& source_;
};

}  // namespace

ModelConfig ModelConfig::from_json(const json& j, const std::string& source_name) {
  if (!j.is_object())
    fail(ErrorKind::ModelLoad, source_name + ": expected a JSON object, got " + std::string(j.type_name()));
  const FieldReader in(j, source_name);
  ModelConfig c;
  c.raw = j;
  c.vocab_size = in.required_positive_int("vocab_size");
  c.hidden_size = in.required_positive_int("hidden_size");
  c.num_hidden_layers = in.required_positive_int("num_hidden_layers");
  c.num_attention_heads = in.required_positive_int("num_attention_heads");
  c.intermediate_size = in.required_positive_int("intermediate_size");
  c.max_position_embeddings = in.optional_positive_int("max_position_embeddings", 512, c.warnings);
  c.type_vocab_size = in.optional_positive_int("type_vocab_size", 2, c.warnings);
  c.layer_norm_eps = in.optional_positive_number("layer_norm_eps", 1e-12f, c.warnings);
  c.hidden_act = in.optional_string("hidden_act", "gelu", c.warnings);
  const std::string position_type = in.optional_string("position_embedding_type", "absolute", c.warnings);

  if (c.hidden_size % c.num_attention_heads != 0) {
    in.invalid("hidden_size (" + std::to_string(c.hidden_size) + ") is not divisible by num_attention_heads (" +
               std::to_string(c.num_attention_heads) + ")");
  }
  if (c.num_hidden_layers <= c.cross_layers) {
    in.invalid("num_hidden_layers is " + std::to_string(c.num_hidden_layers) + "; SiameseUniNLU needs more than " +
               std::to_string(c.cross_layers) + " (the last " + std::to_string(c.cross_layers) +
               " layers form the cross stage, the ones before them the text stage)");
  }
  if (c.hidden_act != "gelu") {
    in.invalid("hidden_act is \"" + c.hidden_act + "\"; uninlu implements BERT's \"gelu\" (the exact erf form) only");
  }
  if (position_type != "absolute") {
    in.invalid("position_embedding_type is \"" + position_type + "\"; uninlu implements \"absolute\" only");
  }
  if (const auto it = j.find("model_type"); it != j.end() && it->is_string() && it->get<std::string>() != "bert") {
    c.warnings.push_back("model_type is \"" + it->get<std::string>() + "\", not \"bert\"; reading it as BERT");
  }
  if (const auto it = j.find("is_decoder"); it != j.end() && it->is_boolean() && it->get<bool>()) {
    c.warnings.push_back("is_decoder is true; uninlu ignores it (SiameseUniNLU attends bidirectionally)");
  }
  return c;
}

ModelConfig ModelConfig::from_file(const std::string& path) {
  const std::string text = read_text_file(path);
  json j;
  try {
    j = json::parse(text);
  } catch (const json::exception& e) {
    fail(ErrorKind::ModelLoad, path + ": not valid JSON: " + e.what());
  }
  return from_json(j, path);
}

}  // namespace uninlu
