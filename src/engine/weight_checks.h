#pragma once
// The model-load checks every backend makes before converting SiameseWeights into its own layout, so
// that weights that disagree with the config are an Error(ModelLoad) naming what is wrong, never a read
// past a tensor. Shared by the CPU and CUDA backends.
#include <cstdint>
#include <string>
#include <vector>

#include "core/host_tensor.h"
#include "model/model_config.h"
#include "model/siamese_weights.h"

namespace uninlu {

// `t` as fp32 (converted if needed) after checking it is present with `shape`; `what` names it.
HostTensor checked_f32(const HostTensor& t, const std::vector<std::int64_t>& shape, const std::string& what);

// Token type 1 exists (the hint stage uses it) and the weights have the config's text and cross layers
// (at least one of each).
void check_siamese_layers(const ModelConfig& config, const SiameseWeights& weights);

}  // namespace uninlu
