#include "model/siamese_weights.h"

#include <algorithm>
#include <charconv>
#include <unordered_map>
#include <unordered_set>

#include "core/error.h"

namespace uninlu {

namespace {

// What a weight's dimension is, in config.json's words.
enum class Dim { Vocab, Positions, TypeVocab, Hidden, Intermediate, One };

struct Dims {
  int rank;
  Dim d0, d1;
};

constexpr Dims matrix(Dim out, Dim in) { return {2, out, in}; }
constexpr Dims vector_of(Dim d) { return {1, d, d}; }

const char* dim_field(Dim d) {
  switch (d) {
    case Dim::Vocab: return "vocab_size";
    case Dim::Positions: return "max_position_embeddings";
    case Dim::TypeVocab: return "type_vocab_size";
    case Dim::Hidden: return "hidden_size";
    case Dim::Intermediate: return "intermediate_size";
    case Dim::One: return "1";
  }
  return "?";
}

std::int64_t dim_value(Dim d, const ModelConfig& c) {
  switch (d) {
    case Dim::Vocab: return c.vocab_size;
    case Dim::Positions: return c.max_position_embeddings;
    case Dim::TypeVocab: return c.type_vocab_size;
    case Dim::Hidden: return c.hidden_size;
    case Dim::Intermediate: return c.intermediate_size;
    case Dim::One: return 1;
  }
  return 0;
}

std::vector<std::int64_t> expected_shape(const Dims& dims, const ModelConfig& c) {
  if (dims.rank == 1) return {dim_value(dims.d0, c)};
  return {dim_value(dims.d0, c), dim_value(dims.d1, c)};
}

// "(intermediate_size x hidden_size from config.json)"
std::string shape_reason(const Dims& dims) {
  std::string text = dim_field(dims.d0);
  if (dims.rank == 2) text += std::string(" x ") + dim_field(dims.d1);
  if (dims.d0 == Dim::One && dims.rank == 1) return "(a single output)";
  return "(" + text + " from config.json)";
}

struct LayerField {
  const char* suffix;
  HostTensor& (*get)(EncoderLayerWeights&);
  Dims dims;
};

// The sixteen tensors of a BERT layer, with the names both key layouts share after their prefix.
const LayerField kLayerFields[] = {
    {"attention.self.query.weight", [](EncoderLayerWeights& l) -> HostTensor& { return l.query.weight; },
     matrix(Dim::Hidden, Dim::Hidden)},
    {"attention.self.query.bias", [](EncoderLayerWeights& l) -> HostTensor& { return l.query.bias; },
     vector_of(Dim::Hidden)},
    {"attention.self.key.weight", [](EncoderLayerWeights& l) -> HostTensor& { return l.key.weight; },
     matrix(Dim::Hidden, Dim::Hidden)},
    {"attention.self.key.bias", [](EncoderLayerWeights& l) -> HostTensor& { return l.key.bias; },
     vector_of(Dim::Hidden)},
    {"attention.self.value.weight", [](EncoderLayerWeights& l) -> HostTensor& { return l.value.weight; },
     matrix(Dim::Hidden, Dim::Hidden)},
    {"attention.self.value.bias", [](EncoderLayerWeights& l) -> HostTensor& { return l.value.bias; },
     vector_of(Dim::Hidden)},
    {"attention.output.dense.weight", [](EncoderLayerWeights& l) -> HostTensor& { return l.attention_output.weight; },
     matrix(Dim::Hidden, Dim::Hidden)},
    {"attention.output.dense.bias", [](EncoderLayerWeights& l) -> HostTensor& { return l.attention_output.bias; },
     vector_of(Dim::Hidden)},
    {"attention.output.LayerNorm.weight", [](EncoderLayerWeights& l) -> HostTensor& { return l.attention_norm.gamma; },
     vector_of(Dim::Hidden)},
    {"attention.output.LayerNorm.bias", [](EncoderLayerWeights& l) -> HostTensor& { return l.attention_norm.beta; },
     vector_of(Dim::Hidden)},
    {"intermediate.dense.weight", [](EncoderLayerWeights& l) -> HostTensor& { return l.intermediate.weight; },
     matrix(Dim::Intermediate, Dim::Hidden)},
    {"intermediate.dense.bias", [](EncoderLayerWeights& l) -> HostTensor& { return l.intermediate.bias; },
     vector_of(Dim::Intermediate)},
    {"output.dense.weight", [](EncoderLayerWeights& l) -> HostTensor& { return l.output.weight; },
     matrix(Dim::Hidden, Dim::Intermediate)},
    {"output.dense.bias", [](EncoderLayerWeights& l) -> HostTensor& { return l.output.bias; }, vector_of(Dim::Hidden)},
    {"output.LayerNorm.weight", [](EncoderLayerWeights& l) -> HostTensor& { return l.output_norm.gamma; },
     vector_of(Dim::Hidden)},
    {"output.LayerNorm.bias", [](EncoderLayerWeights& l) -> HostTensor& { return l.output_norm.beta; },
     vector_of(Dim::Hidden)},
};

struct Slot {
  std::string name;
  HostTensor* target;
  Dims dims;
};

// Every weight of `w` (sized already) with its checkpoint name in w.layout: one table drives loading,
// naming and counting.
std::vector<Slot> weight_slots(SiameseWeights& w) {
  std::vector<Slot> slots;
  slots.push_back({"plm.embeddings.word_embeddings.weight", &w.embeddings.word, matrix(Dim::Vocab, Dim::Hidden)});
  slots.push_back(
      {"plm.embeddings.position_embeddings.weight", &w.embeddings.position, matrix(Dim::Positions, Dim::Hidden)});
  slots.push_back(
      {"plm.embeddings.token_type_embeddings.weight", &w.embeddings.token_type, matrix(Dim::TypeVocab, Dim::Hidden)});
  slots.push_back({"plm.embeddings.LayerNorm.weight", &w.embeddings.norm.gamma, vector_of(Dim::Hidden)});
  slots.push_back({"plm.embeddings.LayerNorm.bias", &w.embeddings.norm.beta, vector_of(Dim::Hidden)});
  const auto add_layer = [&](EncoderLayerWeights& layer, const std::string& prefix) {
    for (const auto& field : kLayerFields) slots.push_back({prefix + field.suffix, &field.get(layer), field.dims});
  };
  const std::size_t text = w.text_layers.size();
  for (std::size_t i = 0; i < text; ++i) add_layer(w.text_layers[i], "plm.encoder.layer." + std::to_string(i) + ".");
  for (std::size_t i = 0; i < w.cross_layers.size(); ++i) {
    add_layer(w.cross_layers[i], w.layout == KeyLayout::CrossAttention
                                     ? "crossattention.layer." + std::to_string(i) + "."
                                     : "plm.encoder.layer." + std::to_string(text + i) + ".");
  }
  slots.push_back({"head_clsf.weight", &w.head.weight, matrix(Dim::One, Dim::Hidden)});
  slots.push_back({"head_clsf.bias", &w.head.bias, vector_of(Dim::One)});
  slots.push_back({"tail_clsf.weight", &w.tail.weight, matrix(Dim::One, Dim::Hidden)});
  slots.push_back({"tail_clsf.bias", &w.tail.bias, vector_of(Dim::One)});
  return slots;
}

// Present in the reference checkpoints and deliberately unused.
bool is_ignored(const std::string& name) {
  return name.starts_with("plm.pooler.") || name == "plm.embeddings.position_ids" ||
         name == "plm.embeddings.token_type_ids";
}

// N of "plm.encoder.layer.N.*", or -1.
int plm_layer_index(const std::string& name) {
  constexpr std::string_view prefix = "plm.encoder.layer.";
  if (!name.starts_with(prefix)) return -1;
  int index = -1;
  const char* begin = name.data() + prefix.size();
  const char* end = name.data() + name.size();
  const auto [next, ec] = std::from_chars(begin, end, index);
  if (ec != std::errc() || next == end || *next != '.') return -1;
  return index;
}

std::string name_list(const std::vector<std::string>& names) {
  constexpr std::size_t kShown = 5;
  std::string text;
  for (std::size_t i = 0; i < names.size() && i < kShown; ++i) text += (i ? ", " : "") + names[i];
  if (names.size() > kShown) text += ", ... and " + std::to_string(names.size() - kShown) + " more";
  return text;
}

std::string count_of(std::size_t n, const char* what) { return std::to_string(n) + " " + what + (n == 1 ? "" : "s"); }

bool is_float(DType d) { return d == DType::F32 || d == DType::F16 || d == DType::BF16 || d == DType::F64; }

KeyLayout detect_layout(const Checkpoint& ckpt, const ModelConfig& config) {
  const std::string* cross_example = nullptr;
  const std::string* plm_example = nullptr;
  for (const auto& t : ckpt.tensors) {
    if (cross_example == nullptr && t.name.starts_with("crossattention.")) cross_example = &t.name;
    const int index = plm_layer_index(t.name);
    if (plm_example == nullptr && index >= config.text_layers() && index < config.num_hidden_layers)
      plm_example = &t.name;
  }
  if (cross_example != nullptr && plm_example != nullptr) {
    fail(ErrorKind::ModelLoad, ckpt.path + ": mixes both key layouts for the last " +
                                   std::to_string(config.cross_layers) + " layers (" + *cross_example + " and " +
                                   *plm_example + "); a checkpoint names them either crossattention.layer.{0.." +
                                   std::to_string(config.cross_layers - 1) + "} or plm.encoder.layer.{" +
                                   std::to_string(config.text_layers()) + ".." +
                                   std::to_string(config.num_hidden_layers - 1) + "}, not both");
  }
  return plm_example != nullptr ? KeyLayout::PlmEncoder : KeyLayout::CrossAttention;
}

}  // namespace

const char* key_layout_name(KeyLayout layout) noexcept {
  switch (layout) {
    case KeyLayout::CrossAttention: return "crossattention";
    case KeyLayout::PlmEncoder: return "plm.encoder";
  }
  return "unknown";
}

SiameseWeights map_siamese_weights(const Checkpoint& ckpt, const ModelConfig& config) {
  SiameseWeights w;
  w.layout = detect_layout(ckpt, config);
  w.text_layers.resize(static_cast<std::size_t>(config.text_layers()));
  w.cross_layers.resize(static_cast<std::size_t>(config.cross_layers));
  const std::vector<Slot> slots = weight_slots(w);

  std::unordered_map<std::string_view, const NamedTensor*> by_name;
  for (const auto& t : ckpt.tensors) by_name.emplace(t.name, &t);
  std::unordered_set<std::string_view> wanted;
  std::vector<std::string> missing, unexpected;
  for (const auto& slot : slots) {
    wanted.insert(slot.name);
    if (!by_name.contains(slot.name)) missing.push_back(slot.name);
  }
  for (const auto& t : ckpt.tensors) {
    if (wanted.contains(t.name)) continue;
    if (is_ignored(t.name)) {
      w.ignored.push_back(t.name);
    } else {
      unexpected.push_back(t.name);
    }
  }
  if (!missing.empty() || !unexpected.empty()) {
    std::string message = ckpt.path + ": not a SiameseUniNLU checkpoint for this config.json (" +
                          std::to_string(config.num_hidden_layers) + " layers, key layout " +
                          key_layout_name(w.layout) + ")";
    if (!missing.empty()) message += "; " + count_of(missing.size(), "tensor") + " missing: " + name_list(missing);
    if (!unexpected.empty()) {
      message += "; " + count_of(unexpected.size(), "unexpected tensor") + ": " + name_list(unexpected);
    }
    const bool no_cross_stage = std::none_of(ckpt.tensors.begin(), ckpt.tensors.end(), [&](const NamedTensor& t) {
      return t.name.starts_with("crossattention.") || plm_layer_index(t.name) >= config.text_layers();
    });
    if (no_cross_stage) {
      message += "; the last " + std::to_string(config.cross_layers) +
                 " layers are neither under crossattention.layer.{0.." + std::to_string(config.cross_layers - 1) +
                 "} nor under plm.encoder.layer.{" + std::to_string(config.text_layers()) + ".." +
                 std::to_string(config.num_hidden_layers - 1) + "}";
    }
    fail(ErrorKind::ModelLoad, message);
  }

  for (const auto& slot : slots) {
    const HostTensor& stored = by_name.at(slot.name)->tensor;
    if (!is_float(stored.dtype())) {
      fail(ErrorKind::ModelLoad, ckpt.path + ": " + slot.name + " has dtype " +
                                     std::string(dtype_name(stored.dtype())) +
                                     "; expected a floating-point tensor (float32, float16, bfloat16 or float64)");
    }
    const std::vector<std::int64_t> expected = expected_shape(slot.dims, config);
    if (stored.shape() != expected) {
      fail(ErrorKind::ModelLoad, ckpt.path + ": " + slot.name + " has shape " + stored.shape_string() + ", expected " +
                                     shape_string(expected) + " " + shape_reason(slot.dims));
    }
    *slot.target = stored.to_f32();  // float32 stays borrowed from the checkpoint
  }
  return w;
}

std::vector<std::pair<std::string, const HostTensor*>> named_weights(const SiameseWeights& weights) {
  // weight_slots only takes addresses; nothing is written through them here.
  std::vector<Slot> slots = weight_slots(const_cast<SiameseWeights&>(weights));
  std::vector<std::pair<std::string, const HostTensor*>> out;
  out.reserve(slots.size());
  for (auto& slot : slots) out.emplace_back(std::move(slot.name), slot.target);
  return out;
}

std::int64_t parameter_count(const SiameseWeights& weights) {
  std::int64_t total = 0;
  for (const auto& [name, tensor] : named_weights(weights)) total += tensor->numel();
  return total;
}

}  // namespace uninlu
