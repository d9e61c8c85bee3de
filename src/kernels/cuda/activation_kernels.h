#pragma once
// Fused bias + activation on the device.
#include <cuda_runtime_api.h>

#include "kernels/cuda/cuda_dtype.h"

namespace uninlu::cuda {

// out[r, c] = gelu(x[r, c] + bias[c]) with BERT's exact GELU, 0.5 v (1 + erf(v / sqrt 2)), computed in
// fp32 and stored in `out_type` (the next GEMM's input). With out_type F32, `out` may be `x` (in place).
void bias_gelu(const float* x, const float* bias, void* out, GemmType out_type, int rows, int cols,
               cudaStream_t stream);

}  // namespace uninlu::cuda
