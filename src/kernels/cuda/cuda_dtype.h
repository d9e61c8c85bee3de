#pragma once
// The element type of GEMM operands (weights and the activations that feed a GEMM). Everything else on
// the device is float32: the residual stream, LayerNorm statistics, softmax, GEMM outputs (cuBLASLt
// accumulates in fp32 and writes fp32), biases and LayerNorm parameters.
// (Included by .cu files, which are C++17: keep it free of C++20 headers.)
#include <cstddef>


namespace uninlu::cuda {

enum class GemmType { F32, F16, BF16 };

constexpr std::size_t gemm_type_size(GemmType t) noexcept { return t == GemmType::F32 ? 4 : 2; }
const char* gemm_type_name(GemmType t) noexcept;  // "fp32", "fp16", "bf16"

}  // namespace uninlu::cuda
