#include "kernels/cuda/cuda_dtype.h"

namespace uninlu::cuda {

const char* gemm_type_name(GemmType t) noexcept {
  switch (t) {
    case GemmType::F32: return "fp32";
    case GemmType::F16: return "fp16";
    case GemmType::BF16: return "bf16";
  }
  return "fp32";
}

}  // namespace uninlu::cuda
