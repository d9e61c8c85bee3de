#include "engine/cuda/model_image.h"

#include <cstring>
#include <string>

#include "core/dtype.h"
#include "core/error.h"
#include "engine/cuda/device_arena.h"
#include "engine/weight_checks.h"
#include "kernels/cuda/attention_kernels.h"

namespace uninlu::cuda {
namespace {

// Appends tensors to one byte image at aligned offsets.
class ImageWriter {
 public:
  ImageWriter(std::vector<std::byte>& bytes, GemmType gemm_type) : bytes_(bytes), gemm_type_(gemm_type) {}

  // fp32 values as they are.
  std::size_t add_f32(const float* values, std::size_t count) {
    const std::size_t offset = reserve(count * sizeof(float));
    std::memcpy(bytes_.data() + offset, values, count * sizeof(float));
    return offset;
  }
  std::size_t add_f32(const HostTensor& t) { return add_f32(t.data<float>(), static_cast<std::size_t>(t.numel())); }

  // A GEMM weight in the GEMM type (round to nearest even for fp16 and bf16).
  std::size_t add_gemm(const float* values, std::size_t count) {
    if (gemm_type_ == GemmType::F32) return add_f32(values, count);
    const std::size_t offset = reserve(count * 2);
    auto* out = reinterpret_cast<std::uint16_t*>(bytes_.data() + offset);
    for (std::size_t i = 0; i < count; ++i) {
      out[i] = gemm_type_ == GemmType::F16 ? float_to_half(values[i]) : float_to_bf16(values[i]);
    }
    return offset;
  }

 private:
  std::size_t reserve(std::size_t bytes) {
    const std::size_t offset = align_up(bytes_.size(), kDeviceAlignment);
    bytes_.resize(offset + bytes);
    return offset;
  }
  std::vector<std::byte>& bytes_;
  GemmType gemm_type_;
};

LayerOffsets add_layer(ImageWriter& out, const EncoderLayerWeights& w, int h, int inter, const std::string& name) {
  LayerOffsets o{};
  const auto hs = static_cast<std::size_t>(h);
  // Q, K, V stacked into one [3H, H] matrix: one GEMM reads x once instead of three times.
  std::vector<float> qkv_weight(3 * hs * hs);
  std::vector<float> qkv_bias(3 * hs);
  const LinearWeights* parts[] = {&w.query, &w.key, &w.value};
  const char* part_names[] = {"attention.self.query", "attention.self.key", "attention.self.value"};
  for (std::size_t p = 0; p < 3; ++p) {
    const HostTensor weight = checked_f32(parts[p]->weight, {h, h}, name + part_names[p] + ".weight");
    const HostTensor bias = checked_f32(parts[p]->bias, {h}, name + part_names[p] + ".bias");
    std::memcpy(qkv_weight.data() + p * hs * hs, weight.data<float>(), hs * hs * sizeof(float));
    std::memcpy(qkv_bias.data() + p * hs, bias.data<float>(), hs * sizeof(float));
  }
  o.qkv_weight = out.add_gemm(qkv_weight.data(), qkv_weight.size());
  o.qkv_bias = out.add_f32(qkv_bias.data(), qkv_bias.size());
  const auto gemm = [&](const HostTensor& t, std::vector<std::int64_t> shape, const std::string& what) {
    const HostTensor f = checked_f32(t, shape, name + what);
    return out.add_gemm(f.data<float>(), static_cast<std::size_t>(f.numel()));
  };
  const auto vec = [&](const HostTensor& t, std::int64_t size, const std::string& what) {
    return out.add_f32(checked_f32(t, {size}, name + what));
  };
  o.output_weight = gemm(w.attention_output.weight, {h, h}, "attention.output.dense.weight");
  o.output_bias = vec(w.attention_output.bias, h, "attention.output.dense.bias");
  o.attention_gamma = vec(w.attention_norm.gamma, h, "attention.output.LayerNorm.weight");
  o.attention_beta = vec(w.attention_norm.beta, h, "attention.output.LayerNorm.bias");
  o.ffn1_weight = gemm(w.intermediate.weight, {inter, h}, "intermediate.dense.weight");
  o.ffn1_bias = vec(w.intermediate.bias, inter, "intermediate.dense.bias");
  o.ffn2_weight = gemm(w.output.weight, {h, inter}, "output.dense.weight");
  o.ffn2_bias = vec(w.output.bias, h, "output.dense.bias");
  o.output_gamma = vec(w.output_norm.gamma, h, "output.LayerNorm.weight");
  o.output_beta = vec(w.output_norm.beta, h, "output.LayerNorm.bias");
  return o;
}

}  // namespace

GemmType gemm_type_for(Precision precision) {
  switch (precision) {
    case Precision::F32: return GemmType::F32;
    case Precision::F16: return GemmType::F16;
    case Precision::BF16: return GemmType::BF16;
    case Precision::Int8: break;
  }
  fail(ErrorKind::Usage, "the CUDA backend runs fp32, fp16 or bf16, not " + std::string(precision_name(precision)));
}

std::shared_ptr<const ModelImage> build_model_image(const ModelConfig& config, const SiameseWeights& weights,
                                                    Precision precision) {
  auto image = std::make_shared<ModelImage>();
  image->gemm_type = gemm_type_for(precision);
  image->hidden = config.hidden_size;
  image->intermediate = config.intermediate_size;
  image->heads = config.num_attention_heads;
  image->vocab = config.vocab_size;
  image->max_positions = config.max_position_embeddings;
  image->type_vocab = config.type_vocab_size;
  image->eps = config.layer_norm_eps;
  const int h = image->hidden;
  const int inter = image->intermediate;

  if (h <= 0 || image->heads <= 0 || h % image->heads != 0) {
    fail(ErrorKind::ModelLoad, "hidden size " + std::to_string(h) + " is not a positive multiple of " +
                                   std::to_string(image->heads) + " heads");
  }
  if (image->head_dim() > kAttentionMaxHeadDim) {
    fail(ErrorKind::Usage, "the CUDA backend supports attention heads of at most " +
                               std::to_string(kAttentionMaxHeadDim) + " dimensions; this model has " +
                               std::to_string(image->head_dim()));
  }
  if (image->gemm_type != GemmType::F32 && (h % 8 != 0 || inter % 8 != 0)) {
    fail(ErrorKind::Usage, "fp16/bf16 on the GPU needs hidden and intermediate sizes that are multiples of 8 (got " +
                               std::to_string(h) + " and " + std::to_string(inter) + "); use fp32");
  }
  check_siamese_layers(config, weights);

  {
    ImageWriter text(image->text_part, image->gemm_type);
    const auto& e = weights.embeddings;
    auto& o = image->embeddings;
    o.word = text.add_f32(checked_f32(e.word, {config.vocab_size, h}, "embeddings.word_embeddings.weight"));
    o.position = text.add_f32(
        checked_f32(e.position, {config.max_position_embeddings, h}, "embeddings.position_embeddings.weight"));
    o.token_type = text.add_f32(
        checked_f32(e.token_type, {config.type_vocab_size, h}, "embeddings.token_type_embeddings.weight"));
    o.gamma = text.add_f32(checked_f32(e.norm.gamma, {h}, "embeddings.LayerNorm.weight"));
    o.beta = text.add_f32(checked_f32(e.norm.beta, {h}, "embeddings.LayerNorm.bias"));
    for (std::size_t i = 0; i < weights.text_layers.size(); ++i) {
      image->text_layers.push_back(
          add_layer(text, weights.text_layers[i], h, inter, "text layer " + std::to_string(i) + " "));
    }
  }
  {
    ImageWriter cross(image->cross_part, image->gemm_type);
    for (std::size_t i = 0; i < weights.cross_layers.size(); ++i) {
      image->cross_layers.push_back(
          add_layer(cross, weights.cross_layers[i], h, inter, "cross layer " + std::to_string(i) + " "));
    }
    std::vector<float> classifier(2 * static_cast<std::size_t>(h));
    float bias[2];
    const LinearWeights* heads[] = {&weights.head, &weights.tail};
    const char* names[] = {"head_clsf", "tail_clsf"};
    for (std::size_t i = 0; i < 2; ++i) {
      const HostTensor w = checked_f32(heads[i]->weight, {1, h}, std::string(names[i]) + ".weight");
      const HostTensor b = checked_f32(heads[i]->bias, {1}, std::string(names[i]) + ".bias");
      std::memcpy(classifier.data() + i * static_cast<std::size_t>(h), w.data<float>(),
                  static_cast<std::size_t>(h) * sizeof(float));
      bias[i] = b.data<float>()[0];
    }
    image->classifier.weight = cross.add_f32(classifier.data(), classifier.size());
    image->classifier.bias = cross.add_f32(bias, 2);
  }
  return image;
}

}  // namespace uninlu::cuda
