#include "engine/cuda/fault_injection.h"

#include "core/error.h"
#include "kernels/cuda/cuda_error.h"

namespace uninlu::cuda {

void throw_injected_fault(InjectedFault fault, const std::string& device_name, std::uint64_t call) {
  const std::string call_text = "injected fault (UNINLU_FAULT_INJECT), call " + std::to_string(call);
  const std::string where = device_name;
  switch (fault) {
    case InjectedFault::OutOfMemory:
      throw CudaOutOfMemory(CudaError::Source::Injected, static_cast<int>(cudaErrorMemoryAllocation), call_text, where,
                            "CUDA error cudaErrorMemoryAllocation (out of memory) on " + device_name + ": " + call_text,
                            false);
    case InjectedFault::Error:
      throw CudaError(CudaError::Source::Injected, static_cast<int>(cudaErrorUnknown), call_text, where,
                      "CUDA error cudaErrorUnknown on " + device_name + ": " + call_text, false);
    case InjectedFault::Sticky:
      throw CudaError(CudaError::Source::Injected, static_cast<int>(cudaErrorIllegalAddress), call_text, where,
                      "CUDA error cudaErrorIllegalAddress on " + device_name + ": " + call_text +
                          " [sticky: the device context is lost]",
                      true);
  }
  fail(ErrorKind::Internal, "unknown injected fault");
}

}  // namespace uninlu::cuda
