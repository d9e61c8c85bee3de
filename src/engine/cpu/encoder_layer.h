#pragma once
// One BERT encoder layer (post-LayerNorm) with its weights packed for the GEMM library, run on a
// ragged batch stacked into one [rows, hidden] matrix:
//   qkv = x Wqkvᵀ + b (Q, K, V fused in one GEMM)  ->  per-sequence attention  ->
//   a = LN(ctx Woᵀ + bo + x)  ->  y = LN(gelu(a W1ᵀ + b1) W2ᵀ + b2 + a)
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/host_tensor.h"
#include "engine/op_profile.h"
#include "engine/cpu/workspace.h"
#include "kernels/cpu/attention.h"
#include "kernels/cpu/gemm.h"
#include "model/siamese_weights.h"

namespace uninlu {

class PackedEncoderLayer {
 public:
  PackedEncoderLayer(const EncoderLayerWeights& weights, int heads, float layer_norm_eps, cpu::GemmLibrary library,
                     cpu::GemmPrecision precision, const std::shared_ptr<cpu::GemmContext>& context);

  // hidden [rows, hidden] -> hidden [output rows, hidden] in place. `sequences` say which rows attend to
  // which; when their q_len are smaller than kv_len, only the first q_len rows of each sequence are
  // computed (after attention) and the output is compacted to sum(q_len) rows at out_begin.
  void forward(float* hidden, int rows, std::span<const cpu::AttentionSequence> sequences, LayerBuffers& buffers,
               OpProfile& profile);

  std::size_t packed_bytes() const noexcept;
  bool fused_int8() const noexcept { return fused_int8_; }
  std::string describe() const { return qkv_->describe(); }

 private:
  // After attention: the output projection, LayerNorm, FFN and LayerNorm on `out_rows` rows. The int8
  // version keeps activations quantised between the GEMMs and fuses each dequantisation into the
  // kernel that follows (cpu/int8_epilogue.h); it computes exactly what the generic version computes.
  void finish_generic(const float* context, const float* residual, float* hidden, int out_rows, LayerBuffers& b,
                      OpProfile& profile);
  void finish_int8(const float* context, const float* residual, float* hidden, int out_rows, LayerBuffers& b,
                   OpProfile& profile);

  int hidden_;
  int intermediate_;
  cpu::AttentionShape shape_;
  std::unique_ptr<cpu::Linear> qkv_, attention_output_, intermediate_dense_, output_dense_;
  // Biases and LayerNorm parameters as float32 tensors (sharing the checkpoint's storage when possible).
  HostTensor attention_output_bias_, intermediate_bias_, output_bias_;
  HostTensor attention_gamma_, attention_beta_, output_gamma_, output_beta_;
  float eps_;
  bool fused_int8_ = false;  // the three post-attention GEMMs are int8: finish_int8
};

}  // namespace uninlu
