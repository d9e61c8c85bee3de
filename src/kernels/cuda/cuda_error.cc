#include "kernels/cuda/cuda_error.h"

#include <cublasLt.h>

#include <string_view>

namespace uninlu::cuda {

bool is_sticky_cuda_error(cudaError_t error) noexcept {
  switch (error) {
    case cudaErrorIllegalAddress:
    case cudaErrorLaunchTimeout:
    case cudaErrorAssert:
    case cudaErrorHardwareStackError:
    case cudaErrorIllegalInstruction:
    case cudaErrorMisalignedAddress:
    case cudaErrorInvalidAddressSpace:
    case cudaErrorInvalidPc:
    case cudaErrorLaunchFailure:
    case cudaErrorECCUncorrectable:
      return true;
    default:
      return false;
  }
}

std::string source_location(const char* file, int line) {
  std::string_view path(file == nullptr ? "?" : file);
  for (std::string_view root : {"/src/", "/tests/"}) {
    const auto at = path.rfind(root);
    if (at != std::string_view::npos) {
      path.remove_prefix(at + 1);
      break;
    }
  }
  return std::string(path) + ":" + std::to_string(line);
}

void throw_cuda_error(cudaError_t error, const char* call, const char* file, int line) {
  const std::string where = source_location(file, line);
  const bool sticky = is_sticky_cuda_error(error);
  const std::string message = std::string("CUDA error ") + cudaGetErrorName(error) + " (" +
                              cudaGetErrorString(error) + ") in " + call + " at " + where +
                              (sticky ? " [sticky: the device context is lost]" : "");
  if (error == cudaErrorMemoryAllocation) {
    throw CudaOutOfMemory(CudaError::Source::Runtime, static_cast<int>(error), call, where, message, false);
  }
  throw CudaError(CudaError::Source::Runtime, static_cast<int>(error), call, where, message, sticky);
}

void throw_cublas_error(cublasStatus_t status, const char* call, const char* file, int line) {
  const std::string where = source_location(file, line);
  const std::string message = std::string("cuBLAS error ") + cublasLtGetStatusName(status) + " (" +
                              cublasLtGetStatusString(status) + ") in " + call + " at " + where;
  if (status == CUBLAS_STATUS_ALLOC_FAILED) {
    throw CudaOutOfMemory(CudaError::Source::Cublas, static_cast<int>(status), call, where, message, false);
  }
  throw CudaError(CudaError::Source::Cublas, static_cast<int>(status), call, where, message, false);
}

}  // namespace uninlu::cuda
