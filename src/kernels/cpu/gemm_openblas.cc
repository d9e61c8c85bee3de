// The OpenBLAS GEMM path, fp32 only: weights pre-transposed once to [in, out] so that sgemm reads them
// row-major without a transpose. Kept to compare against oneDNN (bench/gemm_bench.cc); OpenBLAS runs
// its own pthread pool, sized here from the caller's OpenMP thread count.
#include <cblas.h>
#include <omp.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>

#include "kernels/cpu/aligned_buffer.h"
#include "kernels/cpu/gemm.h"

namespace uninlu::cpu {
namespace {

class OpenBlasLinear final : public Linear {
 public:
  explicit OpenBlasLinear(const LinearWeightsView& w) : Linear(w.in, w.out, w.bias != nullptr) {
    const std::size_t in = static_cast<std::size_t>(w.in);
    const std::size_t out = static_cast<std::size_t>(w.out);
    float* t = transposed_.reserve(in * out);
    for (std::size_t o = 0; o < out; ++o) {
      for (std::size_t i = 0; i < in; ++i) t[i * out + o] = w.weight[o * in + i];
    }
    if (w.bias != nullptr) std::memcpy(bias_.reserve(out), w.bias, out * sizeof(float));
  }

  void forward(const float* x, int rows, float* y) override {
    if (rows <= 0) return;
    const int in = in_features();
    const int out = out_features();
    float beta = 0.0f;
    if (has_bias()) {
      for (int r = 0; r < rows; ++r) {
        std::memcpy(y + static_cast<std::int64_t>(r) * out, bias_.data(),
                    static_cast<std::size_t>(out) * sizeof(float));
      }
      beta = 1.0f;
    }
    openblas_set_num_threads(omp_get_max_threads());
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, rows, out, in, 1.0f, x, in, transposed_.data(), out, beta, y,
                out);
  }

  std::size_t packed_bytes() const noexcept override {
    return static_cast<std::size_t>(in_features()) * static_cast<std::size_t>(out_features()) * sizeof(float);
  }

  std::string describe() const override { return "openblas fp32 sgemm"; }

 private:
  AlignedBuffer<float> transposed_;
  AlignedBuffer<float> bias_;
};

}  // namespace

std::unique_ptr<Linear> make_openblas_linear(const LinearWeightsView& weights) {
  return std::make_unique<OpenBlasLinear>(weights);
}

}  // namespace uninlu::cpu
