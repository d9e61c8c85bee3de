#pragma once
// LayerNorm kernels (BERT's post-LayerNorm: normalise each row over its columns, then scale and shift).
namespace uninlu::cpu {

struct LayerNormParams {
  const float* gamma = nullptr;  // [cols]
  const float* beta = nullptr;   // [cols]
  float eps = 1e-12f;
};

// out[r] = LayerNorm(x[r] + bias + residual[r]). `bias` may be null. `out` may be the same buffer as
// `x` or `residual` (each element is read before it is written).
void bias_residual_layernorm(const float* x, const float* bias, const float* residual, float* out, int rows, int cols,
                             const LayerNormParams& params);

// One row in place, serially: for kernels that build a row and normalise it while it is in cache.
void layernorm_row(float* row, int cols, const LayerNormParams& params);

}  // namespace uninlu::cpu
