#pragma once
// Linear layers on cuBLASLt: y[m, n] = x[m, k] · W[n, k]ᵀ, W in PyTorch's [out, in] layout as stored,
// x and W of one GemmType, fp32 accumulation, fp32 output (so the fused kernels after each GEMM read
// fp32, as on the CPU). Biases are added by those kernels, not here.
//
// The row count m changes with every ragged batch, so the matmul plan (descriptors and the heuristic's
// algorithm) is cached per (m, n, k, type). fp32 runs without TF32 unless asked (CUBLAS_COMPUTE_32F
// keeps full fp32 products, which is what lets fp32 match the CPU to 1e-4).
#include <cublasLt.h>
#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>

#include "kernels/cuda/cuda_dtype.h"
#include "engine/cuda/cuda_resources.h"

namespace uninlu::cuda {

// RAII for the cuBLASLt handle and descriptors.
class LtHandle {
 public:
  explicit LtHandle(int device);
  ~LtHandle();
  LtHandle(const LtHandle&) = delete;
  LtHandle& operator=(const LtHandle&) = delete;
  cublasLtHandle_t get() const noexcept { return handle_; }

 private:
  cublasLtHandle_t handle_ = nullptr;
  int device_;
};

class LtMatmulDesc {
 public:
  LtMatmulDesc(cublasComputeType_t compute, cudaDataType_t scale);
  ~LtMatmulDesc();
  LtMatmulDesc(const LtMatmulDesc&) = delete;
  LtMatmulDesc& operator=(const LtMatmulDesc&) = delete;
  cublasLtMatmulDesc_t get() const noexcept { return desc_; }

 private:
  cublasLtMatmulDesc_t desc_ = nullptr;
};

class LtMatrixLayout {
 public:
  LtMatrixLayout(cudaDataType_t type, std::uint64_t rows, std::uint64_t cols, std::int64_t ld);
  ~LtMatrixLayout();
  LtMatrixLayout(const LtMatrixLayout&) = delete;
  LtMatrixLayout& operator=(const LtMatrixLayout&) = delete;
  cublasLtMatrixLayout_t get() const noexcept { return layout_; }

 private:
  cublasLtMatrixLayout_t layout_ = nullptr;
};

class LtPreference {
 public:
  explicit LtPreference(std::size_t workspace_bytes);
  ~LtPreference();
  LtPreference(const LtPreference&) = delete;
  LtPreference& operator=(const LtPreference&) = delete;
  cublasLtMatmulPreference_t get() const noexcept { return pref_; }

 private:
  cublasLtMatmulPreference_t pref_ = nullptr;
};

struct GemmOptions {
  std::size_t workspace_bytes = 32u << 20;  // cuBLASLt's recommendation for Hopper
  bool allow_tf32 = false;                  // fp32 GEMMs on TF32 tensor cores (~1e-3 relative error)
};

// One per device context; not thread-safe (one backend call at a time).
class LtGemm {
 public:
  LtGemm(int device, const GemmOptions& options);
  ~LtGemm();
  LtGemm(const LtGemm&) = delete;
  LtGemm& operator=(const LtGemm&) = delete;

  // y[m, n] = x[m, k] · w[n, k]ᵀ on `stream`. x and w are `type`, y fp32; all row-major, contiguous, and
  // aligned to 256 bytes (the arena and the weight image guarantee it; checked). m = 0 does nothing.
  void linear(const void* x, const void* w, float* y, int m, int n, int k, GemmType type, cudaStream_t stream);

  std::size_t cached_plans() const noexcept { return plans_.size(); }
  std::string describe() const;

 private:
  struct Plan;
  struct Key {
    int m, n, k;
    GemmType type;
    bool operator==(const Key&) const = default;
  };
  struct KeyHash {
    std::size_t operator()(const Key& key) const noexcept;
  };
  Plan& plan(const Key& key);

  int device_;
  GemmOptions options_;
  LtHandle handle_;
  DeviceBuffer workspace_;
  std::unordered_map<Key, std::unique_ptr<Plan>, KeyHash> plans_;
};

}  // namespace uninlu::cuda
