#pragma once
// Test only: makes `device`'s context lose itself for real (poison_kernel.cu). Returns what
// cudaDeviceSynchronize reported (a sticky error such as cudaErrorIllegalAddress when it worked). Leaves
// `device` current on the calling thread.
#include <cuda_runtime_api.h>

namespace uninlu::gpu_test {

cudaError_t poison_device(int device);

}  // namespace uninlu::gpu_test
