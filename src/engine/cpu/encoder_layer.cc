#include "engine/cpu/encoder_layer.h"

#include <omp.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "core/error.h"
#include "engine/weight_checks.h"
#include "kernels/cpu/activation.h"
#include "kernels/cpu/convert.h"
#include "kernels/cpu/int8_epilogue.h"
#include "kernels/cpu/layernorm.h"

namespace uninlu {
namespace {

std::unique_ptr<cpu::Linear> pack(const LinearWeights& w, int out, int in, bool with_bias, const char* what,
                                  cpu::GemmLibrary library, cpu::GemmPrecision precision,
                                  const std::shared_ptr<cpu::GemmContext>& context) {
  const HostTensor weight = checked_f32(w.weight, {out, in}, what);
  const HostTensor bias = checked_f32(w.bias, {out}, what);
  return cpu::make_linear({weight.data<float>(), with_bias ? bias.data<float>() : nullptr, out, in}, library, precision,
                          context);
}

}  // namespace

PackedEncoderLayer::PackedEncoderLayer(const EncoderLayerWeights& w, int heads, float layer_norm_eps,
                                       cpu::GemmLibrary library, cpu::GemmPrecision precision,
                                       const std::shared_ptr<cpu::GemmContext>& context)
    : hidden_(static_cast<int>(w.query.weight.empty() ? 0 : w.query.weight.dim(0))),
      intermediate_(static_cast<int>(w.intermediate.weight.empty() ? 0 : w.intermediate.weight.dim(0))),
      eps_(layer_norm_eps) {
  const int h = hidden_;
  if (h <= 0 || heads <= 0 || h % heads != 0) {
    fail(ErrorKind::ModelLoad, "encoder layer: hidden size " + std::to_string(h) + " is not a positive multiple of " +
                                   std::to_string(heads) + " heads");
  }
  shape_ = {heads, h / heads};
  // Q, K and V stacked into one [3h, h] matrix: one GEMM reads x once instead of three times.
  std::vector<float> qkv_weight(static_cast<std::size_t>(3 * h) * static_cast<std::size_t>(h));
  std::vector<float> qkv_bias(static_cast<std::size_t>(3 * h));
  const LinearWeights* parts[] = {&w.query, &w.key, &w.value};
  const char* names[] = {"attention.self.query", "attention.self.key", "attention.self.value"};
  for (std::size_t p = 0; p < 3; ++p) {
    const HostTensor weight = checked_f32(parts[p]->weight, {h, h}, names[p]);
    const HostTensor bias = checked_f32(parts[p]->bias, {h}, names[p]);
    std::memcpy(qkv_weight.data() + p * static_cast<std::size_t>(h) * static_cast<std::size_t>(h), weight.data<float>(),
                static_cast<std::size_t>(h) * static_cast<std::size_t>(h) * sizeof(float));
    std::memcpy(qkv_bias.data() + p * static_cast<std::size_t>(h), bias.data<float>(),
                static_cast<std::size_t>(h) * sizeof(float));
  }
  qkv_ = cpu::make_linear({qkv_weight.data(), qkv_bias.data(), 3 * h, h}, library, precision, context);
  // The other biases go into the fused elementwise kernels that follow each GEMM.
  attention_output_ = pack(w.attention_output, h, h, false, "attention.output.dense", library, precision, context);
  intermediate_dense_ =
      pack(w.intermediate, intermediate_, h, false, "intermediate.dense", library, precision, context);
  output_dense_ = pack(w.output, h, intermediate_, false, "output.dense", library, precision, context);
  attention_output_bias_ = checked_f32(w.attention_output.bias, {h}, "attention.output.dense.bias");
  intermediate_bias_ = checked_f32(w.intermediate.bias, {intermediate_}, "intermediate.dense.bias");
  output_bias_ = checked_f32(w.output.bias, {h}, "output.dense.bias");
  attention_gamma_ = checked_f32(w.attention_norm.gamma, {h}, "attention.output.LayerNorm.weight");
  attention_beta_ = checked_f32(w.attention_norm.beta, {h}, "attention.output.LayerNorm.bias");
  output_gamma_ = checked_f32(w.output_norm.gamma, {h}, "output.LayerNorm.weight");
  output_beta_ = checked_f32(w.output_norm.beta, {h}, "output.LayerNorm.bias");
  fused_int8_ = attention_output_->is_int8() && intermediate_dense_->is_int8() && output_dense_->is_int8();
}

std::size_t PackedEncoderLayer::packed_bytes() const noexcept {
  return qkv_->packed_bytes() + attention_output_->packed_bytes() + intermediate_dense_->packed_bytes() +
         output_dense_->packed_bytes();
}

void PackedEncoderLayer::forward(float* hidden, int rows, std::span<const cpu::AttentionSequence> sequences,
                                 LayerBuffers& b, OpProfile& profile) {
  const std::size_t h = static_cast<std::size_t>(hidden_);
  const std::size_t n = static_cast<std::size_t>(rows);
  int out_rows = 0;
  bool pruned = false;
  for (const auto& s : sequences) {
    out_rows += s.q_len;
    pruned = pruned || s.q_len != s.kv_len || s.out_begin != s.kv_begin;
  }
  const std::size_t m = static_cast<std::size_t>(out_rows);

  float* qkv = b.qkv.reserve(n * 3 * h);
  float* context = b.context.reserve(m * h);
  const auto threads = omp_get_max_threads();
  float* scores = b.scores.reserve(static_cast<std::size_t>(cpu::attention_scratch_floats(sequences, threads)));

  {
    auto t = profile.time(OpFamily::Gemm);
    qkv_->forward(hidden, rows, qkv);
  }
  {
    auto t = profile.time(OpFamily::Attention);
    cpu::attention(qkv, context, sequences, shape_, {scores, b.scores.capacity()});
  }
  const float* residual = hidden;
  if (pruned) {
    // The rows that survive, in output order, for the residual connection.
    auto t = profile.time(OpFamily::Gather);
    float* kept = b.residual.reserve(m * h);
    for (const auto& s : sequences) {
      std::memcpy(kept + static_cast<std::size_t>(s.out_begin) * h, hidden + static_cast<std::size_t>(s.kv_begin) * h,
                  static_cast<std::size_t>(s.q_len) * h * sizeof(float));
    }
    residual = kept;
  }
  if (fused_int8_) {
    finish_int8(context, residual, hidden, out_rows, b, profile);
  } else {
    finish_generic(context, residual, hidden, out_rows, b, profile);
  }
}

void PackedEncoderLayer::finish_generic(const float* context, const float* residual, float* hidden, int out_rows,
                                        LayerBuffers& b, OpProfile& profile) {
  const std::size_t m = static_cast<std::size_t>(out_rows);
  const std::size_t h = static_cast<std::size_t>(hidden_);
  float* projected = b.projected.reserve(m * h);
  float* attended = b.attended.reserve(m * h);
  float* ffn = b.ffn.reserve(m * static_cast<std::size_t>(intermediate_));
  {
    auto t = profile.time(OpFamily::Gemm);
    attention_output_->forward(context, out_rows, projected);
  }
  {
    auto t = profile.time(OpFamily::LayerNorm);
    cpu::bias_residual_layernorm(projected, attention_output_bias_.data<float>(), residual, attended, out_rows, hidden_,
                                 {attention_gamma_.data<float>(), attention_beta_.data<float>(), eps_});
  }
  {
    auto t = profile.time(OpFamily::Gemm);
    intermediate_dense_->forward(attended, out_rows, ffn);
  }
  {
    auto t = profile.time(OpFamily::Gelu);
    cpu::bias_gelu(ffn, intermediate_bias_.data<float>(), out_rows, intermediate_);
  }
  {
    auto t = profile.time(OpFamily::Gemm);
    output_dense_->forward(ffn, out_rows, projected);
  }
  {
    auto t = profile.time(OpFamily::LayerNorm);
    cpu::bias_residual_layernorm(projected, output_bias_.data<float>(), attended, hidden, out_rows, hidden_,
                                 {output_gamma_.data<float>(), output_beta_.data<float>(), eps_});
  }
}

void PackedEncoderLayer::finish_int8(const float* context, const float* residual, float* hidden, int out_rows,
                                     LayerBuffers& b, OpProfile& profile) {
  const std::size_t m = static_cast<std::size_t>(out_rows);
  const std::size_t h = static_cast<std::size_t>(hidden_);
  const std::size_t inter = static_cast<std::size_t>(intermediate_);
  float* scratch = b.projected.reserve(m * h);
  float* attended = b.attended.reserve(m * h);
  float* ffn_scratch = b.ffn.reserve(m * inter);
  std::int8_t* q = b.quantized.reserve(m * h);
  float* q_scales = b.quantized_scales.reserve(m);
  std::int8_t* q_ffn = b.quantized_ffn.reserve(m * inter);
  float* ffn_scales = b.ffn_scales.reserve(m);
  std::int32_t* acc = b.accumulators.reserve(m * std::max(h, inter));
  {
    auto t = profile.time(OpFamily::Gemm);
    cpu::quantize_rows_s8(context, out_rows, hidden_, q, q_scales);
    attention_output_->forward_int8(q, out_rows, acc);
  }
  {
    // attended = LN(context Woᵀ + bo + x), quantised in the same pass for the FFN's first GEMM (into q,
    // whose old contents the GEMM above has consumed; the scales are read before they are replaced).
    auto t = profile.time(OpFamily::LayerNorm);
    cpu::dequantize_bias_residual_layernorm({acc, q_scales, attention_output_->column_scales()},
                                            attention_output_bias_.data<float>(), residual, attended, out_rows,
                                            hidden_, scratch,
                                            {attention_gamma_.data<float>(), attention_beta_.data<float>(), eps_},
                                            {q, q_scales});
  }
  {
    auto t = profile.time(OpFamily::Gemm);
    intermediate_dense_->forward_int8(q, out_rows, acc);
  }
  {
    auto t = profile.time(OpFamily::Gelu);
    cpu::dequantize_bias_gelu_quantize({acc, q_scales, intermediate_dense_->column_scales()},
                                       intermediate_bias_.data<float>(), out_rows, intermediate_, ffn_scratch,
                                       {q_ffn, ffn_scales});
  }
  {
    auto t = profile.time(OpFamily::Gemm);
    output_dense_->forward_int8(q_ffn, out_rows, acc);
  }
  {
    auto t = profile.time(OpFamily::LayerNorm);
    cpu::dequantize_bias_residual_layernorm({acc, ffn_scales, output_dense_->column_scales()},
                                            output_bias_.data<float>(), attended, hidden, out_rows, hidden_, scratch,
                                            {output_gamma_.data<float>(), output_beta_.data<float>(), eps_});
  }
}

}  // namespace uninlu
