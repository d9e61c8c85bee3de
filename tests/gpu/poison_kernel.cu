// Test only (compiled into gpu_tests, never into the library): a kernel that faults for real, so the
// recovery tests exercise a genuinely lost context (a sticky cudaErrorIllegalAddress), not only the
// exceptions UNINLU_FAULT_INJECT throws.
#include "poison_kernel.h"

namespace uninlu::gpu_test {
namespace {

__global__ void write_through_bad_pointer(int* bad) { *bad = 1; }

}  // namespace

cudaError_t poison_device(int device) {
  cudaError_t status = cudaSetDevice(device);
  if (status != cudaSuccess) return status;
  // An address no allocation can have: the write raises an illegal-address fault on the device.
  write_through_bad_pointer<<<1, 1>>>(reinterpret_cast<int*>(static_cast<unsigned long long>(0x10)));
  (void)cudaGetLastError();
  status = cudaDeviceSynchronize();
  (void)cudaGetLastError();
  return status;
}

}  // namespace uninlu::gpu_test
