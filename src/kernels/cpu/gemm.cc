#include "kernels/cpu/gemm.h"

#include <string>

#include "core/error.h"
#include "kernels/cpu/cpu_isa.h"

namespace uninlu::cpu {

// Defined in gemm_onednn.cc / gemm_openblas.cc.
std::unique_ptr<Linear> make_onednn_linear(const LinearWeightsView& weights, GemmPrecision precision,
                                           const std::shared_ptr<GemmContext>& context);
std::unique_ptr<Linear> make_openblas_linear(const LinearWeightsView& weights);

const char* gemm_library_name(GemmLibrary library) noexcept {
  switch (library) {
    case GemmLibrary::OneDnn:
      return "onednn";
    case GemmLibrary::OpenBlas:
      return "openblas";
  }
  return "onednn";
}

const char* gemm_precision_name(GemmPrecision precision) noexcept {
  switch (precision) {
    case GemmPrecision::F32:
      return "fp32";
    case GemmPrecision::BF16:
      return "bf16";
    case GemmPrecision::Int8:
      return "int8";
  }
  return "fp32";
}

int int8_weight_limit() noexcept { return onednn_has_vnni() ? 127 : 63; }

bool bf16_emulated() noexcept { return !onednn_has_native_bf16(); }

std::string gemm_precision_description(GemmPrecision precision) {
  std::string name = gemm_precision_name(precision);
  if (precision == GemmPrecision::Int8 && int8_weight_limit() < 127) name += " (7-bit weights: no VNNI)";
  if (precision == GemmPrecision::BF16 && bf16_emulated()) {
    name += " (emulated in fp32: no AVX512-BF16, slower than fp32)";
  }
  return name;
}

void Linear::forward_int8(const std::int8_t*, int, std::int32_t*) {
  fail(ErrorKind::Internal, "forward_int8 on a " + describe() + " layer; this is a bug");
}

std::unique_ptr<Linear> make_linear(const LinearWeightsView& weights, GemmLibrary library, GemmPrecision precision,
                                    const std::shared_ptr<GemmContext>& context) {
  if (weights.weight == nullptr || weights.in <= 0 || weights.out <= 0) {
    fail(ErrorKind::Internal, "make_linear: empty weight matrix; this is a bug");
  }
  if (library == GemmLibrary::OpenBlas) {
    if (precision != GemmPrecision::F32) {
      fail(ErrorKind::Usage,
           std::string("the OpenBLAS GEMM path is fp32 only (asked for ") + gemm_precision_name(precision) + ")");
    }
    return make_openblas_linear(weights);
  }
  if (!context) fail(ErrorKind::Internal, "make_linear: oneDNN layer without a GemmContext; this is a bug");
  return make_onednn_linear(weights, precision, context);
}

}  // namespace uninlu::cpu
