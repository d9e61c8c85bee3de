#include "engine/weight_checks.h"

#include "core/dtype.h"
#include "core/error.h"

namespace uninlu {

HostTensor checked_f32(const HostTensor& t, const std::vector<std::int64_t>& shape, const std::string& what) {
  if (t.empty() || t.shape() != shape) {
    fail(ErrorKind::ModelLoad, "weight '" + what + "' has shape " +
                                   (t.empty() ? std::string("(missing)") : t.shape_string()) + ", expected " +
                                   shape_string(shape));
  }
  return t.dtype() == DType::F32 ? t : t.to_f32();
}

void check_siamese_layers(const ModelConfig& config, const SiameseWeights& weights) {
  if (config.type_vocab_size < 2) {
    fail(ErrorKind::ModelLoad,
         "type_vocab_size is " + std::to_string(config.type_vocab_size) + ": the hint stage needs token type 1");
  }
  if (static_cast<int>(weights.text_layers.size()) != config.text_layers() ||
      static_cast<int>(weights.cross_layers.size()) != config.cross_layers || config.cross_layers < 1 ||
      config.text_layers() < 1) {
    fail(ErrorKind::ModelLoad, "the weights have " + std::to_string(weights.text_layers.size()) + " text and " +
                                   std::to_string(weights.cross_layers.size()) + " cross layers; the config says " +
                                   std::to_string(config.text_layers()) + " and " +
                                   std::to_string(config.cross_layers) + " (at least 1 each)");
  }
}

}  // namespace uninlu
