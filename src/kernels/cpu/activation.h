#pragma once
// Fused bias + activation kernels.
namespace uninlu::cpu {

// x[r, c] = gelu(x[r, c] + bias[c]) in place, with BERT's exact GELU: 0.5 v (1 + erf(v / sqrt 2)).
void bias_gelu(float* x, const float* bias, int rows, int cols);

}  // namespace uninlu::cpu
