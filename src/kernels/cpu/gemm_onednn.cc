// The oneDNN GEMM path: matmul primitives (brgemm kernels) on weights reordered once into the blocked
// layout the primitive asks for ("any"). See docs/engine.md for why oneDNN is the default.
//   fp32  f32 x f32 -> f32, bias inside the matmul
//   bf16  inputs converted to bf16 per call, bf16 weights, f32 accumulation and output; without
//         AVX512-BF16 emulated: bf16-rounded weights and inputs in an fp32 matmul (bf16_emulated())
//   int8  dynamic quantisation: inputs quantised per row (symmetric s8, scale = max|row| / 127), weights
//         per output column at load time (scale = max|w| / int8_weight_limit(): 127, or 63 without
//         VNNI); s8 x s8 -> s32, then y = acc * row scale * column scale + bias in one pass
#include <cstdint>
#include <cstring>
#include <dnnl.hpp>
#include <memory>
#include <string>
#include <vector>

#include "core/error.h"
#include "kernels/cpu/convert.h"
#include "kernels/cpu/gemm.h"
#include "kernels/cpu/gemm_context.h"

namespace uninlu::cpu {
namespace {

using dnnl::memory;
using Tag = memory::format_tag;
using DataType = memory::data_type;

// The packed layout does not depend on the row count (checked for 1..1024 rows with oneDNN 2.6), so one
// packing made against this representative count serves every batch.
constexpr int kPackingRows = 64;

DataType activation_type(GemmPrecision precision) {
  switch (precision) {
    case GemmPrecision::BF16:
      return DataType::bf16;
    case GemmPrecision::Int8:
      return DataType::s8;
    case GemmPrecision::F32:
      break;
  }
  return DataType::f32;
}

DataType output_type(GemmPrecision precision) {
  return precision == GemmPrecision::Int8 ? DataType::s32 : DataType::f32;
}

memory::desc weights_any_desc(int in, int out, GemmPrecision precision) {
  return memory::desc({in, out}, activation_type(precision), Tag::any);
}

// For int8 the bias is added by the dequantisation pass, so the matmul itself never has one.
dnnl::matmul::primitive_desc make_primitive_desc(dnnl::engine& engine, int rows, int in, int out,
                                                 GemmPrecision precision, bool has_bias,
                                                 const memory::desc& weights_desc) {
  const memory::desc src({rows, in}, activation_type(precision), Tag::ab);
  const memory::desc dst({rows, out}, output_type(precision), Tag::ab);
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);  // the context's buffer, reused across calls
  if (has_bias && precision != GemmPrecision::Int8) {
    const memory::desc bias({1, out}, DataType::f32, Tag::ab);
    return dnnl::matmul::primitive_desc(dnnl::matmul::desc(src, weights_desc, bias, dst), attr, engine);
  }
  return dnnl::matmul::primitive_desc(dnnl::matmul::desc(src, weights_desc, dst), attr, engine);
}

class OneDnnLinear final : public Linear {
 public:
  OneDnnLinear(const LinearWeightsView& w, GemmPrecision precision, std::shared_ptr<GemmContext> context)
      : Linear(w.in, w.out, w.bias != nullptr),
        precision_(precision),
        emulate_bf16_(precision == GemmPrecision::BF16 && bf16_emulated()),
        matmul_precision_(emulate_bf16_ ? GemmPrecision::F32 : precision),
        context_(std::move(context)) {
    auto& engine = context_->engine();
    try {
      const auto pd = make_primitive_desc(engine, kPackingRows, w.in, w.out, matmul_precision_, has_bias(),
                                          weights_any_desc(w.in, w.out, matmul_precision_));
      packed_desc_ = pd.weights_desc();
      implementation_ = pd.impl_info_str();
      packed_ = memory(packed_desc_, engine);
      // PyTorch's [out, in] row-major is the [in, out] matrix in column-major order: tag "ba". The
      // reorder converts to the packed type and, for s8, also computes oneDNN's s8-input compensation.
      if (precision_ == GemmPrecision::Int8) {
        std::vector<std::int8_t> quantized(static_cast<std::size_t>(w.in) * static_cast<std::size_t>(w.out));
        column_scales_.resize(static_cast<std::size_t>(w.out));
        quantize_rows_s8(w.weight, w.out, w.in, quantized.data(), column_scales_.data(), int8_weight_limit());
        memory user(memory::desc({w.in, w.out}, DataType::s8, Tag::ba), engine, quantized.data());
        dnnl::reorder(user, packed_).execute(context_->stream(), user, packed_);
      } else if (emulate_bf16_) {
        std::vector<float> rounded(static_cast<std::size_t>(w.in) * static_cast<std::size_t>(w.out));
        round_to_bf16(w.weight, rounded.data(), static_cast<std::int64_t>(rounded.size()));
        memory user(memory::desc({w.in, w.out}, DataType::f32, Tag::ba), engine, rounded.data());
        dnnl::reorder(user, packed_).execute(context_->stream(), user, packed_);
      } else {
        memory user(memory::desc({w.in, w.out}, DataType::f32, Tag::ba), engine,
                    const_cast<float*>(w.weight));  // read only by the reorder
        dnnl::reorder(user, packed_).execute(context_->stream(), user, packed_);
      }
      if (has_bias()) {
        bias_ = memory(memory::desc({1, w.out}, DataType::f32, Tag::ab), engine);
        std::memcpy(bias_.get_data_handle(), w.bias, static_cast<std::size_t>(w.out) * sizeof(float));
      }
      context_->stream().wait();
    } catch (const dnnl::error& e) {
      // fp32 works everywhere; a reduced precision may simply not exist on this CPU (e.g. bf16 on AVX2).
      fail(precision_ == GemmPrecision::F32 ? ErrorKind::Internal : ErrorKind::Usage,
           std::string("oneDNN has no ") + gemm_precision_name(precision_) + " matmul for " + std::to_string(w.out) +
               "x" + std::to_string(w.in) + " weights on this CPU: " + e.what());
    }
  }

  void forward(const float* x, int rows, float* y) override {
    if (rows <= 0) return;
    const std::int64_t count = static_cast<std::int64_t>(rows) * in_features();
    if (precision_ == GemmPrecision::Int8) {
      std::int8_t* staged = context_->int8_staging(static_cast<std::size_t>(count));
      float* row_scales = context_->row_scales(static_cast<std::size_t>(rows));
      quantize_rows_s8(x, rows, in_features(), staged, row_scales);
      auto* acc = context_->int32_staging(static_cast<std::size_t>(rows) * static_cast<std::size_t>(out_features()));
      execute(staged, rows, acc);
      dequantize_rows_s32(acc, rows, out_features(), row_scales, column_scales_.data(),
                          has_bias() ? static_cast<const float*>(bias_.get_data_handle()) : nullptr, y);
      return;
    }
    const void* src = x;
    if (emulate_bf16_) {
      float* staged = context_->float_staging(static_cast<std::size_t>(count));
      round_to_bf16(x, staged, count);
      src = staged;
    } else if (precision_ == GemmPrecision::BF16) {
      std::uint16_t* staged = context_->bf16_staging(static_cast<std::size_t>(count));
      float_to_bf16(x, staged, count);
      src = staged;
    }
    execute(src, rows, y);
  }

  bool is_int8() const noexcept override { return precision_ == GemmPrecision::Int8; }

  void forward_int8(const std::int8_t* q, int rows, std::int32_t* acc) override {
    if (precision_ != GemmPrecision::Int8) Linear::forward_int8(q, rows, acc);
    if (rows > 0) execute(q, rows, acc);
  }

  const float* column_scales() const noexcept override {
    return precision_ == GemmPrecision::Int8 ? column_scales_.data() : nullptr;
  }

  std::size_t packed_bytes() const noexcept override { return packed_desc_.get_size(); }

  std::string describe() const override {
    return std::string("onednn ") + gemm_precision_description(precision_) + " " + implementation_;
  }

 private:
  // The matmul alone on `src` (already in the activation type) into `dst` (f32, or s32 for int8).
  void execute(const void* src, int rows, void* dst) {
    const MatmulKey key{rows, in_features(), out_features(), matmul_precision_, has_bias()};
    CachedMatmul& cached = context_->matmul(key, [&] { return build(rows); });
    cached.src.set_data_handle(const_cast<void*>(src));
    cached.weights.set_data_handle(packed_.get_data_handle());
    if (cached.bias) cached.bias.set_data_handle(bias_.get_data_handle());
    cached.dst.set_data_handle(dst);
    if (cached.scratchpad_bytes > 0) {
      cached.scratchpad.set_data_handle(context_->scratchpad(cached.scratchpad_bytes));
    }
    const dnnl_status_t status = dnnl_primitive_execute(cached.primitive.get(), context_->stream().get(),
                                                        static_cast<int>(cached.args.size()), cached.args.data());
    if (status != dnnl_success) {
      fail(ErrorKind::Internal, "oneDNN matmul failed (status " + std::to_string(status) + ") on " +
                                    std::to_string(rows) + " rows: " + describe());
    }
    context_->stream().wait();
  }

  CachedMatmul build(int rows) {
    auto& engine = context_->engine();
    const auto pd = make_primitive_desc(engine, rows, in_features(), out_features(), matmul_precision_, has_bias(),
                                        packed_desc_);
    CachedMatmul c;
    c.primitive = dnnl::matmul(pd);
    c.implementation = pd.impl_info_str();
    // Placeholder handles; forward() points them at the real data before every execution.
    c.src = memory(pd.src_desc(), engine, nullptr);
    c.weights = memory(pd.weights_desc(), engine, nullptr);
    c.dst = memory(pd.dst_desc(), engine, nullptr);
    c.args = {{DNNL_ARG_SRC, c.src.get()}, {DNNL_ARG_WEIGHTS, c.weights.get()}, {DNNL_ARG_DST, c.dst.get()}};
    if (has_bias() && precision_ != GemmPrecision::Int8) {
      c.bias = memory(pd.bias_desc(), engine, nullptr);
      c.args.push_back({DNNL_ARG_BIAS, c.bias.get()});
    }
    c.scratchpad_bytes = pd.scratchpad_desc().get_size();
    if (c.scratchpad_bytes > 0) {
      c.scratchpad = memory(pd.scratchpad_desc(), engine, nullptr);
      c.args.push_back({DNNL_ARG_SCRATCHPAD, c.scratchpad.get()});
    }
    return c;
  }

  GemmPrecision precision_;         // what the layer computes
  bool emulate_bf16_;                // bf16 as an fp32 matmul on bf16-rounded values
  GemmPrecision matmul_precision_;   // what the oneDNN primitive runs: F32 when emulating bf16
  std::shared_ptr<GemmContext> context_;
  memory::desc packed_desc_;
  memory packed_;
  memory bias_;
  std::vector<float> column_scales_;  // int8: per output column weight scale
  std::string implementation_;
};

}  // namespace

GemmContext::GemmContext() : engine_(dnnl::engine::kind::cpu, 0), stream_(engine_) {}

CachedMatmul& GemmContext::matmul(const MatmulKey& key, const std::function<CachedMatmul()>& build) {
  if (auto it = matmuls_.find(key); it != matmuls_.end()) return it->second;
  if (matmuls_.size() >= kMaxCachedMatmuls) matmuls_.clear();
  try {
    return matmuls_.emplace(key, build()).first->second;
  } catch (const dnnl::error& e) {
    fail(ErrorKind::Internal, std::string("oneDNN could not build a matmul for ") + std::to_string(key.rows) +
                                  " rows x " + std::to_string(key.in) + " -> " + std::to_string(key.out) + ": " +
                                  e.what());
  }
}

std::shared_ptr<GemmContext> make_gemm_context() { return std::make_shared<GemmContext>(); }

std::unique_ptr<Linear> make_onednn_linear(const LinearWeightsView& weights, GemmPrecision precision,
                                           const std::shared_ptr<GemmContext>& context) {
  return std::make_unique<OneDnnLinear>(weights, precision, context);
}

}  // namespace uninlu::cpu
