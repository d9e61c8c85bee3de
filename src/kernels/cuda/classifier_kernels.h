#pragma once
// The span classifiers (head_clsf and tail_clsf) on the device: two dot products per text row, in fp32
// whatever the precision (negligible work, and the logits are compared against a threshold).
#include <cuda_runtime_api.h>

namespace uninlu::cuda {

// logits[r, 0] = hidden[r] · weight[0] + bias[0], logits[r, 1] = hidden[r] · weight[1] + bias[1].
// hidden [rows, cols], weight [2, cols], bias [2], logits [rows, 2]; all fp32 device memory.
void span_logits(const float* hidden, const float* weight, const float* bias, float* logits, int rows, int cols,
                 cudaStream_t stream);

}  // namespace uninlu::cuda
