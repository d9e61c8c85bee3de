#pragma once
// The SiameseUniNLU weights, named by what they are. All tensors are float32 and contiguous; linear
// weights keep PyTorch's [out, in] layout (engines repack them as they need).
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/host_tensor.h"
#include "model/checkpoint.h"
#include "model/model_config.h"

namespace uninlu {

struct LinearWeights {
  HostTensor weight;  // [out, in]
  HostTensor bias;    // [out]
};

struct LayerNormWeights {
  HostTensor gamma;  // [hidden]
  HostTensor beta;   // [hidden]
};

struct EncoderLayerWeights {
  LinearWeights query, key, value;  // attention.self.*
  LinearWeights attention_output;   // attention.output.dense
  LayerNormWeights attention_norm;  // attention.output.LayerNorm
  LinearWeights intermediate;       // intermediate.dense   [intermediate, hidden]
  LinearWeights output;             // output.dense         [hidden, intermediate]
  LayerNormWeights output_norm;     // output.LayerNorm
};

struct EmbeddingWeights {
  HostTensor word;        // [vocab, hidden]
  HostTensor position;    // [max_positions, hidden]
  HostTensor token_type;  // [type_vocab, hidden]
  LayerNormWeights norm;
};

// How the last six layers were named in the checkpoint.
enum class KeyLayout {
  CrossAttention,  // crossattention.layer.{0..5}.*   (saved after set_crossattention_layer)
  PlmEncoder,      // plm.encoder.layer.{L-6..L-1}.*  (saved before the split)
};
const char* key_layout_name(KeyLayout layout) noexcept;

struct SiameseWeights {
  EmbeddingWeights embeddings;
  std::vector<EncoderLayerWeights> text_layers;   // the first L-6 layers (text and hint stages)
  std::vector<EncoderLayerWeights> cross_layers;  // the last 6 layers (cross stage)
  LinearWeights head;  // head_clsf: weight [1, hidden], bias [1]
  LinearWeights tail;  // tail_clsf
  KeyLayout layout = KeyLayout::CrossAttention;
  std::vector<std::string> ignored;  // tensors present and deliberately unused (pooler, position_ids)
};

// Maps checkpoint names to weights, converting fp16/bf16/fp64 to fp32 (fp32 tensors stay borrowed from
// the checkpoint's mapping: zero copy) and checking every shape against the config. The last six layers
// are read from crossattention.layer.{0..5} or plm.encoder.layer.{L-6..L-1}, whichever the checkpoint
// has; plm.pooler.*, plm.embeddings.position_ids and plm.embeddings.token_type_ids are ignored (listed
// in `ignored`). Throws Error(ModelLoad) naming the checkpoint file and tensor for missing tensors,
// unexpected (extra) tensors, a shape that disagrees with the config, a non-float dtype, or a
// checkpoint that mixes both key layouts.
SiameseWeights map_siamese_weights(const Checkpoint& checkpoint, const ModelConfig& config);

// Every weight with the checkpoint name it is read from in `weights.layout`, in a fixed order
// (embeddings, text layers, cross layers, head, tail).
std::vector<std::pair<std::string, const HostTensor*>> named_weights(const SiameseWeights& weights);

// Elements in all the weights (the ignored tensors excluded).
std::int64_t parameter_count(const SiameseWeights& weights);

}  // namespace uninlu
