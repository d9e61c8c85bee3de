#include "engine/cuda/cuda_encoder_layer.h"

#include "core/error.h"
#include "kernels/cuda/activation_kernels.h"
#include "kernels/cuda/copy_kernels.h"

namespace uninlu::cuda {

DeviceLayer resolve_layer(const std::byte* base, const LayerOffsets& o, float eps) {
  const auto f32 = [base](std::size_t offset) { return reinterpret_cast<const float*>(base + offset); };
  DeviceLayer l;
  l.qkv_weight = base + o.qkv_weight;
  l.qkv_bias = f32(o.qkv_bias);
  l.output_weight = base + o.output_weight;
  l.output_bias = f32(o.output_bias);
  l.attention_norm = {f32(o.attention_gamma), f32(o.attention_beta), eps};
  l.ffn1_weight = base + o.ffn1_weight;
  l.ffn1_bias = f32(o.ffn1_bias);
  l.ffn2_weight = base + o.ffn2_weight;
  l.ffn2_bias = f32(o.ffn2_bias);
  l.output_norm = {f32(o.output_gamma), f32(o.output_beta), eps};
  return l;
}

LayerScratch carve_layer_scratch(ArenaCarver& arena, int rows, const LayerDims& dims) {
  const auto n = static_cast<std::size_t>(rows);
  const auto h = static_cast<std::size_t>(dims.hidden);
  const auto inter = static_cast<std::size_t>(dims.intermediate);
  const std::size_t t = gemm_type_size(dims.type);
  const bool low = dims.type != GemmType::F32;
  LayerScratch s;
  s.qkv = arena.take<float>(n * 3 * h);
  s.context = arena.take_bytes(n * h * t);
  s.residual = arena.take<float>(n * h);
  s.projected = arena.take<float>(n * h);
  s.attended = arena.take<float>(n * h);
  s.attended_low = low ? arena.take_bytes(n * h * t) : nullptr;
  s.ffn = arena.take<float>(n * inter);
  s.ffn_low = low ? arena.take_bytes(n * inter * t) : nullptr;
  return s;
}

void HostAttentionLayout::clear() {
  sequences.clear();
  tiles.clear();
  residual_rows.clear();
  out_rows = 0;
  pruned = false;
}

void HostAttentionLayout::add(int kv_begin, int kv_len, int q_len, int out_begin) {
  sequences.push_back({kv_begin, kv_len, q_len, out_begin});
  out_rows += q_len;
  pruned = pruned || q_len != kv_len || out_begin != kv_begin;
}

void HostAttentionLayout::finish() {
  tiles.clear();
  for (std::size_t s = 0; s < sequences.size(); ++s) {
    for (int q = 0; q < sequences[s].q_len; q += kAttentionQueryTile) tiles.push_back({static_cast<std::int32_t>(s), q});
  }
  residual_rows.clear();
  if (pruned) {
    residual_rows.resize(static_cast<std::size_t>(out_rows));
    for (const auto& s : sequences) {
      for (int i = 0; i < s.q_len; ++i) residual_rows[static_cast<std::size_t>(s.out_begin + i)] = s.kv_begin + i;
    }
  }
}

void encoder_layer_forward(const DeviceLayer& w, const LayerDims& dims, float* hidden, void* hidden_low, int rows,
                           const DeviceAttentionLayout& layout, const LayerScratch& s, LtGemm& gemm,
                           cudaStream_t stream) {
  const int h = dims.hidden;
  const int m = layout.out_rows;
  const bool low = dims.type != GemmType::F32;
  if (low && hidden_low == nullptr) fail(ErrorKind::Internal, "encoder layer: no GEMM-type copy of the input");
  const void* x_in = low ? hidden_low : hidden;

  gemm.linear(x_in, w.qkv_weight, s.qkv, rows, 3 * h, h, dims.type, stream);
  attention(s.qkv, w.qkv_bias, layout.sequences, layout.tiles, layout.tile_count, dims.attention, s.context, dims.type,
            stream);
  const float* residual = hidden;
  if (layout.residual_rows != nullptr) {
    // The rows that survive, in output order, for the residual connection (hidden is overwritten below).
    gather_rows(hidden, nullptr, layout.residual_rows, m, h, s.residual, nullptr, GemmType::F32, stream);
    residual = s.residual;
  }
  gemm.linear(s.context, w.output_weight, s.projected, m, h, h, dims.type, stream);
  bias_residual_layernorm(s.projected, w.output_bias, residual, s.attended, s.attended_low, dims.type, m, h,
                          w.attention_norm, stream);
  gemm.linear(low ? s.attended_low : s.attended, w.ffn1_weight, s.ffn, m, dims.intermediate, h, dims.type, stream);
  void* ffn_in = low ? s.ffn_low : s.ffn;  // fp32: GELU in place
  bias_gelu(s.ffn, w.ffn1_bias, ffn_in, dims.type, m, dims.intermediate, stream);
  gemm.linear(ffn_in, w.ffn2_weight, s.projected, m, h, dims.intermediate, dims.type, stream);
  bias_residual_layernorm(s.projected, w.ffn2_bias, s.attended, hidden, hidden_low, dims.type, m, h, w.output_norm,
                          stream);
}

}  // namespace uninlu::cuda
