#pragma once
// The weights as the GPU holds them, built once on the host: every tensor checked against the config,
// converted (GEMM weights to the GEMM type; embeddings, biases, LayerNorm and the classifiers stay
// fp32) and laid out at 256-byte aligned offsets in two byte images, one per half of the model:
//   text part:  embeddings + the first L-6 layers (text and hint stages)
//   cross part: the last 6 layers + head/tail classifiers
// Uploading a part is one cudaMemcpy. The image is immutable and shared (shared_ptr) by every replica
// of the same precision, and kept so a backend can re-upload after a device reset.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "engine/backend.h"
#include "kernels/cuda/cuda_dtype.h"
#include "model/model_config.h"
#include "model/siamese_weights.h"

namespace uninlu::cuda {

struct LayerOffsets {
  std::size_t qkv_weight, qkv_bias;      // [3H, H] (Q, K, V stacked), [3H]
  std::size_t output_weight, output_bias;  // attention.output.dense [H, H], [H]
  std::size_t attention_gamma, attention_beta;
  std::size_t ffn1_weight, ffn1_bias;    // intermediate.dense [I, H], [I]
  std::size_t ffn2_weight, ffn2_bias;    // output.dense [H, I], [H]
  std::size_t output_gamma, output_beta;
};

struct EmbeddingOffsets {
  std::size_t word, position, token_type, gamma, beta;
};

struct HeadOffsets {
  std::size_t weight;  // [2, H]: head_clsf then tail_clsf
  std::size_t bias;    // [2]
};

struct ModelImage {
  GemmType gemm_type = GemmType::F32;
  int hidden = 0;
  int intermediate = 0;
  int heads = 0;
  int vocab = 0;
  int max_positions = 0;
  int type_vocab = 0;
  float eps = 1e-12f;

  std::vector<std::byte> text_part;
  std::vector<std::byte> cross_part;
  EmbeddingOffsets embeddings{};
  std::vector<LayerOffsets> text_layers;   // offsets into text_part
  std::vector<LayerOffsets> cross_layers;  // offsets into cross_part
  HeadOffsets classifier{};                // offsets into cross_part

  int head_dim() const noexcept { return heads == 0 ? 0 : hidden / heads; }
  std::size_t bytes() const noexcept { return text_part.size() + cross_part.size(); }
};

// F32, F16, BF16; Int8 throws Error(Usage) (no int8 path on the GPU).
GemmType gemm_type_for(Precision precision);

// Throws Error(ModelLoad) for weights that disagree with `config` (missing tensors, wrong shapes) and
// Error(Usage) for a precision or shape the CUDA backend cannot run (int8; a head size over 128; fp16/bf16
// with hidden or intermediate sizes that are not multiples of 8, which cuBLASLt's tensor-core kernels need).
std::shared_ptr<const ModelImage> build_model_image(const ModelConfig& config, const SiameseWeights& weights,
                                                    Precision precision);

}  // namespace uninlu::cuda
