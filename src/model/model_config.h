#pragma once
// config.json: a Hugging Face BERT config. num_hidden_layers is the full depth; the last
// `cross_layers` (6 in SiameseUniNLU) form the cross-attention stage.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace uninlu {

struct ModelConfig {
  int vocab_size = 21128;
  int hidden_size = 768;
  int num_hidden_layers = 12;
  int num_attention_heads = 12;
  int intermediate_size = 3072;
  int max_position_embeddings = 512;
  int type_vocab_size = 2;
  float layer_norm_eps = 1e-12f;
  std::string hidden_act = "gelu";
  int cross_layers = 6;  // fixed by SiameseUieModel.set_crossattention_layer

  int text_layers() const noexcept { return num_hidden_layers - cross_layers; }
  int head_dim() const noexcept { return hidden_size / num_attention_heads; }

  nlohmann::json raw;           // the file as read, for `uninlu info` and /info
  std::vector<std::string> warnings;  // fields read with a default, or set but ignored (e.g. model_type)

  // The five fields that size the weights (vocab_size, hidden_size, num_hidden_layers,
  // num_attention_heads, intermediate_size) are required: BertConfig's defaults for them are
  // bert-base-uncased's and would be silently wrong. The others take BertConfig's default when absent
  // (max_position_embeddings 512, type_vocab_size 2, layer_norm_eps 1e-12, hidden_act "gelu",
  // position_embedding_type "absolute").
  // Throws Error(ModelLoad) naming the file and field for a missing/ill-typed field or an inconsistent
  // value (hidden_size not divisible by heads, fewer than cross_layers+1 layers, hidden_act not gelu,
  // position_embedding_type not absolute, a size that is not positive).
  static ModelConfig from_file(const std::string& path);
  static ModelConfig from_json(const nlohmann::json& j, const std::string& source_name);
};

}  // namespace uninlu
