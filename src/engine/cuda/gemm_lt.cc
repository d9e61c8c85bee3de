#include "engine/cuda/gemm_lt.h"

#include <cstdint>

#include "core/error.h"
#include "kernels/cuda/cuda_error.h"
#include "engine/cuda/device_arena.h"

namespace uninlu::cuda {
namespace {

constexpr std::size_t kMaxPlans = 4096;  // row counts seen; starts over beyond this (bounded memory)

cudaDataType_t cuda_data_type(GemmType type) {
  switch (type) {
    case GemmType::F32: return CUDA_R_32F;
    case GemmType::F16: return CUDA_R_16F;
    case GemmType::BF16: return CUDA_R_16BF;
  }
  return CUDA_R_32F;
}

bool aligned(const void* p) { return reinterpret_cast<std::uintptr_t>(p) % kDeviceAlignment == 0; }

}  // namespace

LtHandle::LtHandle(int device) : device_(device) {
  DeviceGuard guard(device);
  UNINLU_CUBLAS_CHECK(cublasLtCreate(&handle_));
}

LtHandle::~LtHandle() {
  if (handle_ != nullptr) release_on(device_, [this] { (void)cublasLtDestroy(handle_); });
}

LtMatmulDesc::LtMatmulDesc(cublasComputeType_t compute, cudaDataType_t scale) {
  UNINLU_CUBLAS_CHECK(cublasLtMatmulDescCreate(&desc_, compute, scale));
}
LtMatmulDesc::~LtMatmulDesc() {
  if (desc_ != nullptr) release_on(-1, [this] { (void)cublasLtMatmulDescDestroy(desc_); });
}

LtMatrixLayout::LtMatrixLayout(cudaDataType_t type, std::uint64_t rows, std::uint64_t cols, std::int64_t ld) {
  UNINLU_CUBLAS_CHECK(cublasLtMatrixLayoutCreate(&layout_, type, rows, cols, ld));
}
LtMatrixLayout::~LtMatrixLayout() {
  if (layout_ != nullptr) release_on(-1, [this] { (void)cublasLtMatrixLayoutDestroy(layout_); });
}

LtPreference::LtPreference(std::size_t workspace_bytes) {
  UNINLU_CUBLAS_CHECK(cublasLtMatmulPreferenceCreate(&pref_));
  UNINLU_CUBLAS_CHECK(cublasLtMatmulPreferenceSetAttribute(pref_, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES,
                                                          &workspace_bytes, sizeof(workspace_bytes)));
}
LtPreference::~LtPreference() {
  if (pref_ != nullptr) release_on(-1, [this] { (void)cublasLtMatmulPreferenceDestroy(pref_); });
}

// Row-major y[m, n] = x[m, k] · w[n, k]ᵀ is, in cuBLAS's column-major terms, yᵀ[n, m] = w · xᵀ, where
// the row-major [n, k] w read column-major is a k×n matrix (so op(A) = T) and the row-major [m, k] x is
// a k×m matrix (op(B) = N): the "TN" GEMM, which every cuBLASLt kernel family supports.
struct LtGemm::Plan {
  Plan(const Key& key, bool allow_tf32)
      : op(key.type == GemmType::F32 && allow_tf32 ? CUBLAS_COMPUTE_32F_FAST_TF32 : CUBLAS_COMPUTE_32F, CUDA_R_32F),
        a(cuda_data_type(key.type), static_cast<std::uint64_t>(key.k), static_cast<std::uint64_t>(key.n), key.k),
        b(cuda_data_type(key.type), static_cast<std::uint64_t>(key.k), static_cast<std::uint64_t>(key.m), key.k),
        c(CUDA_R_32F, static_cast<std::uint64_t>(key.n), static_cast<std::uint64_t>(key.m), key.n) {
    const cublasOperation_t transa = CUBLAS_OP_T;
    const cublasOperation_t transb = CUBLAS_OP_N;
    UNINLU_CUBLAS_CHECK(
        cublasLtMatmulDescSetAttribute(op.get(), CUBLASLT_MATMUL_DESC_TRANSA, &transa, sizeof(transa)));
    UNINLU_CUBLAS_CHECK(
        cublasLtMatmulDescSetAttribute(op.get(), CUBLASLT_MATMUL_DESC_TRANSB, &transb, sizeof(transb)));
  }
  LtMatmulDesc op;
  LtMatrixLayout a, b, c;
  cublasLtMatmulAlgo_t algo{};
  std::size_t workspace = 0;
};

std::size_t LtGemm::KeyHash::operator()(const Key& key) const noexcept {
  std::uint64_t h = static_cast<std::uint64_t>(static_cast<std::uint32_t>(key.m));
  h = h * 1000003u ^ static_cast<std::uint32_t>(key.n);
  h = h * 1000003u ^ static_cast<std::uint32_t>(key.k);
  h = h * 1000003u ^ static_cast<std::uint32_t>(key.type);
  return static_cast<std::size_t>(h);
}

LtGemm::LtGemm(int device, const GemmOptions& options)
    : device_(device), options_(options), handle_(device), workspace_(device, options.workspace_bytes) {}

LtGemm::~LtGemm() = default;

LtGemm::Plan& LtGemm::plan(const Key& key) {
  auto it = plans_.find(key);
  if (it != plans_.end()) return *it->second;
  if (plans_.size() >= kMaxPlans) plans_.clear();
  auto p = std::make_unique<Plan>(key, options_.allow_tf32);
  LtPreference preference(workspace_.size());
  cublasLtMatmulHeuristicResult_t result{};
  int found = 0;
  const cublasStatus_t status = cublasLtMatmulAlgoGetHeuristic(handle_.get(), p->op.get(), p->a.get(), p->b.get(),
                                                               p->c.get(), p->c.get(), preference.get(), 1, &result,
                                                               &found);
  if (status != CUBLAS_STATUS_NOT_SUPPORTED) UNINLU_CUBLAS_CHECK(status);
  if (status == CUBLAS_STATUS_NOT_SUPPORTED || found < 1) {
    fail(ErrorKind::Internal, "cuBLASLt has no algorithm for a " + std::string(gemm_type_name(key.type)) + " GEMM " +
                                  std::to_string(key.m) + "x" + std::to_string(key.n) + "x" +
                                  std::to_string(key.k));
  }
  p->algo = result.algo;
  p->workspace = result.workspaceSize;
  return *plans_.emplace(key, std::move(p)).first->second;
}

void LtGemm::linear(const void* x, const void* w, float* y, int m, int n, int k, GemmType type, cudaStream_t stream) {
  if (m <= 0) return;
  if (n <= 0 || k <= 0) fail(ErrorKind::Internal, "linear: empty weight shape; this is a bug");
  if (!aligned(x) || !aligned(w) || !aligned(y)) {
    fail(ErrorKind::Internal, "linear: an operand is not 256-byte aligned; this is a bug");
  }
  Plan& p = plan({m, n, k, type});
  const float alpha = 1.0f;
  const float beta = 0.0f;
  UNINLU_CUBLAS_CHECK(cublasLtMatmul(handle_.get(), p.op.get(), &alpha, w, p.a.get(), x, p.b.get(), &beta, y,
                                     p.c.get(), y, p.c.get(), &p.algo, workspace_.data(), p.workspace, stream));
}

std::string LtGemm::describe() const {
  return std::string("cublasLt, fp32 accumulation") + (options_.allow_tf32 ? ", tf32 allowed" : "") + ", " +
         std::to_string(plans_.size()) + " cached plans";
}

}  // namespace uninlu::cuda
