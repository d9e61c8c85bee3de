#include <cstdint>

#include "kernels/cuda/classifier_kernels.h"
#include "kernels/cuda/cuda_error.h"
#include "kernels/cuda/device_common.cuh"

namespace uninlu::cuda {
namespace {

constexpr int kRowsPerBlock = 8;  // one warp per row

__global__ void span_logits_kernel(const float* hidden, const float* weight, const float* bias, float* logits,
                                   int rows, int cols) {
  const int warp = static_cast<int>(threadIdx.x) >> 5;
  const int lane = static_cast<int>(threadIdx.x) & 31;
  const int r = static_cast<int>(blockIdx.x) * kRowsPerBlock + warp;
  if (r >= rows) return;  // the whole warp leaves together
  const float* x = hidden + static_cast<std::int64_t>(r) * cols;
  float head = 0.0f;
  float tail = 0.0f;
  for (int c = lane; c < cols; c += 32) {
    head = fmaf(x[c], weight[c], head);
    tail = fmaf(x[c], weight[cols + c], tail);
  }
  head = device::warp_sum(head);
  tail = device::warp_sum(tail);
  if (lane == 0) {
    logits[2 * static_cast<std::int64_t>(r)] = head + bias[0];
    logits[2 * static_cast<std::int64_t>(r) + 1] = tail + bias[1];
  }
}

}  // namespace

void span_logits(const float* hidden, const float* weight, const float* bias, float* logits, int rows, int cols,
                 cudaStream_t stream) {
  if (rows <= 0) return;
  const unsigned blocks = static_cast<unsigned>((rows + kRowsPerBlock - 1) / kRowsPerBlock);
  span_logits_kernel<<<blocks, kRowsPerBlock * 32, 0, stream>>>(hidden, weight, bias, logits, rows, cols);
  UNINLU_CUDA_CHECK_LAUNCH();
}

}  // namespace uninlu::cuda
