#pragma once
// The SiameseUniNLU weights, named by what they are. All tensors are float32 and contiguous; linear
// weights keep PyTorch's [out, in] layout (engines repack them as they need).
#include <string>
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

// Maps checkpoint names to weights, converting fp16/bf16 to fp32 and checking every shape against the
// config. Throws Error(ModelLoad) naming the checkpoint file and tensor for a missing tensor, an
// unexpected (extra) tensor, a shape that disagrees with the config, a non-float dtype, or a checkpoint
// that mixes both key layouts.
SiameseWeights map_siamese_weights(const Checkpoint& checkpoint, const ModelConfig& config);

}  // namespace uninlu
