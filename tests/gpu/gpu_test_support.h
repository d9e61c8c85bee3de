#pragma once
// Shared by the GPU tests: skipping without a GPU, device buffers for kernel tests, tolerances.
#include <cuda_runtime_api.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "core/dtype.h"
#include "kernels/cuda/cuda_dtype.h"
#include "kernels/cuda/cuda_error.h"
#include "engine/cuda/cuda_resources.h"
#include "engine/cuda/cuda_runtime_info.h"

namespace uninlu::gpu_test {

inline int gpu_count() { return cuda::visible_device_count(nullptr); }

// Skips the calling test (from its body or SetUp) when no GPU is usable.
#define UNINLU_REQUIRE_GPU()                                                             \
  do {                                                                                   \
    std::string uninlu_why_;                                                             \
    if (::uninlu::cuda::visible_device_count(&uninlu_why_) == 0)                         \
      GTEST_SKIP() << "no usable GPU (" << uninlu_why_ << "): this test needs one";      \
  } while (false)

#define UNINLU_REQUIRE_GPUS(n)                                                                      \
  do {                                                                                              \
    std::string uninlu_why_;                                                                        \
    const int uninlu_count_ = ::uninlu::cuda::visible_device_count(&uninlu_why_);                   \
    if (uninlu_count_ < (n))                                                                        \
      GTEST_SKIP() << "needs " << (n) << " GPUs, " << uninlu_count_ << " usable"                   \
                   << (uninlu_why_.empty() ? "" : " (" + uninlu_why_ + ")");                        \
  } while (false)

// A typed device array for kernel tests (RAII through cuda::DeviceBuffer).
template <class T>
class DeviceArray {
 public:
  explicit DeviceArray(std::size_t count) : buffer_(0, count * sizeof(T) + 256), count_(count) {}
  explicit DeviceArray(const std::vector<T>& values) : DeviceArray(values.size()) { upload(values); }
  void upload(const std::vector<T>& values) {
    UNINLU_CUDA_CHECK(cudaMemcpy(buffer_.data(), values.data(), values.size() * sizeof(T), cudaMemcpyHostToDevice));
  }
  std::vector<T> download() const {
    std::vector<T> out(count_);
    UNINLU_CUDA_CHECK(cudaDeviceSynchronize());
    UNINLU_CUDA_CHECK(cudaMemcpy(out.data(), buffer_.data(), count_ * sizeof(T), cudaMemcpyDeviceToHost));
    return out;
  }
  T* get() const { return reinterpret_cast<T*>(buffer_.data()); }
  std::size_t size() const { return count_; }

 private:
  cuda::DeviceBuffer buffer_;
  std::size_t count_;
};

inline std::vector<float> random_vector(std::size_t n, unsigned seed, float stddev = 1.0f, float mean = 0.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(mean, stddev);
  std::vector<float> v(n);
  for (auto& x : v) x = dist(rng);
  return v;
}

// Values of a GEMM-type device buffer (fp32, fp16 or bf16 bits) as floats.
inline std::vector<float> low_to_float(const std::vector<std::uint16_t>& bits, cuda::GemmType type) {
  std::vector<float> out(bits.size());
  for (std::size_t i = 0; i < bits.size(); ++i) {
    out[i] = type == cuda::GemmType::F16 ? half_to_float(bits[i]) : bf16_to_float(bits[i]);
  }
  return out;
}

// The unit roundoff of a GEMM type: a value stored in it is within this relative error of the fp32 one.
inline double unit_roundoff(cuda::GemmType type) {
  switch (type) {
    case cuda::GemmType::F32: return 0.0;
    case cuda::GemmType::F16: return std::ldexp(1.0, -11);
    case cuda::GemmType::BF16: return std::ldexp(1.0, -8);
  }
  return 0.0;
}

inline double max_abs_diff(const std::vector<float>& a, const std::vector<float>& b) {
  double worst = 0;
  for (std::size_t i = 0; i < a.size() && i < b.size(); ++i) {
    worst = std::max(worst, std::abs(static_cast<double>(a[i]) - static_cast<double>(b[i])));
  }
  return a.size() == b.size() ? worst : INFINITY;
}

}  // namespace uninlu::gpu_test
