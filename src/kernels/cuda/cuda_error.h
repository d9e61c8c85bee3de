#pragma once
// Every CUDA runtime and cuBLAS status is checked and a failure becomes a C++ exception that carries the
// call's text, file:line and the library's error string. The scheduler treats any non-input Error as a
// device fault (the batch reruns on another device), so these are Error(Unavailable).
//
//   UNINLU_CUDA_CHECK(cudaMemcpyAsync(...));     UNINLU_CUBLAS_CHECK(cublasLtMatmul(...));
//   kernel<<<grid, block, 0, stream>>>(...); UNINLU_CUDA_CHECK_LAUNCH();
#include <cublas_api.h>
#include <cuda_runtime_api.h>

#include <string>

#include "core/error.h"

namespace uninlu::cuda {

class CudaError : public Error {
 public:
  enum class Source { Runtime, Cublas, Injected };

  CudaError(Source source, int code, std::string call, std::string where, const std::string& message, bool sticky)
      : Error(ErrorKind::Unavailable, message),
        source_(source),
        code_(code),
        call_(std::move(call)),
        where_(std::move(where)),
        sticky_(sticky) {}

  Source source() const noexcept { return source_; }
  int code() const noexcept { return code_; }            // cudaError_t or cublasStatus_t
  const std::string& call() const noexcept { return call_; }
  const std::string& where() const noexcept { return where_; }  // "src/engine/cuda/gemm_lt.cc:120"
  // The CUDA context is unusable after this error (an illegal address, a kernel fault, an uncorrectable
  // ECC error...): every later call fails until the device is reset.
  bool sticky() const noexcept { return sticky_; }

 private:
  Source source_;
  int code_;
  std::string call_;
  std::string where_;
  bool sticky_;
};

// A device or pinned-host allocation failed. Its own type so that the backend (nothing to rebuild: the
// arena is left empty and consistent) and tests can tell it from other faults.
class CudaOutOfMemory : public CudaError {
 public:
  using CudaError::CudaError;
};

// Errors after which the context is lost (CUDA's "sticky" errors; the list is the runtime's documented
// ones). Unknown errors are not in it: the backend probes the device after any fault anyway.
bool is_sticky_cuda_error(cudaError_t error) noexcept;

[[noreturn]] void throw_cuda_error(cudaError_t error, const char* call, const char* file, int line);
[[noreturn]] void throw_cublas_error(cublasStatus_t status, const char* call, const char* file, int line);

// "file:line" with the path shortened to start at src/ (or tests/) when it contains it.
std::string source_location(const char* file, int line);

}  // namespace uninlu::cuda

#define UNINLU_CUDA_CHECK(expr)                                                               \
  do {                                                                                        \
    const cudaError_t uninlu_cuda_status_ = (expr);                                           \
    if (uninlu_cuda_status_ != cudaSuccess)                                                   \
      ::uninlu::cuda::throw_cuda_error(uninlu_cuda_status_, #expr, __FILE__, __LINE__);       \
  } while (false)

#define UNINLU_CUBLAS_CHECK(expr)                                                             \
  do {                                                                                        \
    const cublasStatus_t uninlu_cublas_status_ = (expr);                                      \
    if (uninlu_cublas_status_ != CUBLAS_STATUS_SUCCESS)                                       \
      ::uninlu::cuda::throw_cublas_error(uninlu_cublas_status_, #expr, __FILE__, __LINE__);   \
  } while (false)

// After a kernel launch: reports a bad launch configuration (the kernel's own faults surface at the
// next synchronising call, which is checked too).
#define UNINLU_CUDA_CHECK_LAUNCH() UNINLU_CUDA_CHECK(cudaGetLastError())
