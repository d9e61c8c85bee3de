#pragma once
// A model directory as downloaded from ModelScope: config.json, configuration.json, vocab.txt and
// pytorch_model.bin (or model.safetensors). Loading reads exactly what the reference pipeline reads.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "model/model_config.h"
#include "model/siamese_weights.h"
#include "text/bert_tokenizer.h"
#include "text/tokenizer_settings.h"
#include "text/vocab.h"

namespace uninlu {

struct ModelDir {
  std::string path;
  std::string weights_file;  // the checkpoint actually read
  std::string format;        // "pytorch-zip" | "safetensors"
  std::string stored_dtype;  // dtype(s) of the stored float tensors, e.g. "float32" or "float16"
  ModelConfig config;
  nlohmann::json configuration;  // configuration.json (ModelScope metadata); null when absent
  std::shared_ptr<const Vocab> vocab;
  // tokenizer_config.json, special_tokens_map.json, added_tokens.json (defaults where absent) and the
  // tokenizer they configure over vocab.txt.
  TokenizerSettings tokenizer_settings;
  std::shared_ptr<const BertTokenizer> tokenizer;
  SiameseWeights weights;
  std::int64_t parameter_count = 0;  // of the used weights
  // Things a person may want to know that do not stop loading (config defaults used, configuration.json
  // for another task...). load_model_dir also logs each one with spdlog::warn.
  std::vector<std::string> warnings;
};

// `weights_file` empty: pytorch_model.bin if present (what the reference loads), else model.safetensors.
// A relative `weights_file` is looked up in the model directory first, then as given. The weights file
// is read by its contents (torch zip or safetensors), not by its name.
// Throws Error(ModelLoad) with a message a person can act on: the directory is missing, a required file
// is missing (listing what was found), the vocab size disagrees with config.vocab_size,
// configuration.json or a tokenizer file is not JSON, the tokenizer is not BERT's, a special token is
// missing from the vocabulary, ... and the checkpoint and weight-mapping errors.
ModelDir load_model_dir(const std::string& path, const std::string& weights_file = "");

}  // namespace uninlu
