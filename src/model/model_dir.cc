#include "model/model_dir.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include "core/error.h"
#include "core/mapped_file.h"
#include "model/checkpoint.h"

namespace uninlu {

namespace {

namespace fs = std::filesystem;

constexpr const char* kConfig = "config.json";
constexpr const char* kConfiguration = "configuration.json";
constexpr const char* kVocab = "vocab.txt";
constexpr const char* kTorchWeights = "pytorch_model.bin";
constexpr const char* kSafetensorsWeights = "model.safetensors";
constexpr const char* kExpectedTask = "siamese-uie";

[[noreturn]] void bad(const std::string& detail) { fail(ErrorKind::ModelLoad, detail); }

std::vector<std::string> list_files(const fs::path& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) names.push_back(entry.path().filename().string());
  if (ec) bad("cannot list model directory " + dir.string() + ": " + ec.message());
  std::sort(names.begin(), names.end());
  return names;
}

std::string join(const std::vector<std::string>& names) {
  if (names.empty()) return "nothing";
  std::string text;
  for (const auto& name : names) text += (text.empty() ? "" : ", ") + name;
  return text;
}

bool is_file(const fs::path& p) {
  std::error_code ec;
  return fs::is_regular_file(p, ec);
}

fs::path choose_weights(const fs::path& dir, const std::string& requested) {
  if (!requested.empty()) {
    const fs::path given(requested);
    if (given.is_relative() && is_file(dir / given)) return dir / given;
    if (is_file(given)) return given;
    bad("weights file " + requested + " not found" +
        (given.is_relative() ? " (looked in " + dir.string() + " and in the working directory)" : std::string()));
  }
  if (is_file(dir / kTorchWeights)) return dir / kTorchWeights;
  return dir / kSafetensorsWeights;
}

void check_required_files(const fs::path& dir, const std::string& weights_file) {
  std::vector<std::string> missing;
  if (!is_file(dir / kConfig)) missing.push_back(kConfig);
  if (!is_file(dir / kVocab)) missing.push_back(kVocab);
  if (weights_file.empty() && !is_file(dir / kTorchWeights) && !is_file(dir / kSafetensorsWeights)) {
    missing.push_back(std::string(kTorchWeights) + " (or " + kSafetensorsWeights + ")");
  }
  if (missing.empty()) return;
  bad("model directory " + dir.string() + " lacks " + join(missing) + "; it holds " + join(list_files(dir)) +
      ". A SiameseUniNLU model directory (ModelScope iic/nlp_structbert_siamese-uninlu_chinese-base) holds " +
      "config.json, vocab.txt and pytorch_model.bin or model.safetensors (configuration.json is optional)");
}

// configuration.json is ModelScope's metadata: optional, but if present it must be JSON.
nlohmann::json read_configuration(const fs::path& dir, std::vector<std::string>& warnings) {
  const fs::path path = dir / kConfiguration;
  if (!is_file(path)) return nullptr;
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(read_text_file(path.string()));
  } catch (const nlohmann::json::exception& e) {
    bad(path.string() + ": not valid JSON: " + e.what());
  }
  const auto task = j.is_object() ? j.find("task") : j.end();
  if (!j.is_object() || task == j.end() || !task->is_string() || task->get<std::string>() != kExpectedTask) {
    warnings.push_back(path.string() + " does not declare task \"" + kExpectedTask + "\" (it says " +
                       (j.is_object() && task != j.end() ? task->dump() : std::string("nothing")) +
                       "); loading the weights as SiameseUniNLU anyway");
  }
  return j;
}

std::string stored_float_dtypes(const Checkpoint& checkpoint, const SiameseWeights& weights) {
  std::set<std::string> names;
  for (const auto& [name, tensor] : named_weights(weights)) {
    names.insert(std::string(dtype_name(checkpoint.find(name)->tensor.dtype())));
  }
  std::string text;
  for (const auto& name : names) text += (text.empty() ? "" : "+") + name;
  return text;
}

}  // namespace

ModelDir load_model_dir(const std::string& path, const std::string& weights_file) {
  const fs::path dir(path);
  std::error_code ec;
  const fs::file_status status = fs::status(dir, ec);
  if (!fs::exists(status)) bad("model directory " + path + " does not exist");
  if (!fs::is_directory(status)) {
    bad(path +
        " is not a directory; --model takes the model directory (holding config.json, vocab.txt and "
        "pytorch_model.bin), not a file in it");
  }
  check_required_files(dir, weights_file);

  ModelDir model;
  model.path = path;
  model.config = ModelConfig::from_file((dir / kConfig).string());
  for (const auto& warning : model.config.warnings) model.warnings.push_back(kConfig + std::string(": ") + warning);
  model.configuration = read_configuration(dir, model.warnings);

  const std::string vocab_path = (dir / kVocab).string();
  model.vocab = std::make_shared<const Vocab>(Vocab::load(vocab_path));
  model.tokenizer_settings = load_tokenizer_settings(path);
  for (const auto& warning : model.tokenizer_settings.warnings) model.warnings.push_back(warning);
  // AutoTokenizer falls back to config.json's tokenizer_class when tokenizer_config.json names none.
  if (const auto it = model.config.raw.find("tokenizer_class");
      model.tokenizer_settings.tokenizer_class.empty() && it != model.config.raw.end() && it->is_string()) {
    check_tokenizer_class(it->get<std::string>(), (dir / kConfig).string());
  }
  model.tokenizer = std::make_shared<const BertTokenizer>(model.vocab, model.tokenizer_settings);
  // Ids run over vocab.txt and then the added tokens it lacks; the embedding table must cover exactly that.
  if (static_cast<std::int64_t>(model.tokenizer->id_count()) != model.config.vocab_size) {
    const std::size_t added = model.tokenizer->id_count() - model.vocab->size();
    bad(vocab_path + " has " + std::to_string(model.vocab->size()) + " tokens" +
        (added ? " (plus " + std::to_string(added) + " added tokens)" : std::string()) + " but " +
        (dir / kConfig).string() + " says vocab_size " + std::to_string(model.config.vocab_size) +
        "; they must agree (a vocab.txt from another model?)");
  }

  model.weights_file = choose_weights(dir, weights_file).string();
  const Checkpoint checkpoint = read_checkpoint(model.weights_file);
  model.format = checkpoint.format;
  model.weights = map_siamese_weights(checkpoint, model.config);
  model.stored_dtype = stored_float_dtypes(checkpoint, model.weights);
  model.parameter_count = parameter_count(model.weights);
  for (const auto& warning : model.warnings) spdlog::warn("{}", warning);
  return model;
}

}  // namespace uninlu
