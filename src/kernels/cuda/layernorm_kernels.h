#pragma once
// Fused bias + residual + LayerNorm on the device (the two per encoder layer).
#include <cuda_runtime_api.h>

#include "kernels/cuda/cuda_dtype.h"

namespace uninlu::cuda {

struct DeviceLayerNorm {
  const float* gamma = nullptr;  // [cols]
  const float* beta = nullptr;   // [cols]
  float eps = 1e-12f;
};

// out[r] = LayerNorm(x[r] + bias + residual[r]), fp32; out_low (nullable) gets a copy in `low_type`.
// `bias` may be null. `out` may be the same buffer as `x` or `residual`: every element is read by the
// thread that then writes it.
void bias_residual_layernorm(const float* x, const float* bias, const float* residual, float* out, void* out_low,
                             GemmType low_type, int rows, int cols, const DeviceLayerNorm& norm, cudaStream_t stream);

}  // namespace uninlu::cuda
