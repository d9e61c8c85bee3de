#pragma once
// Vectorisation support for the hand-written elementwise kernels.
//
// The binary is built for the portable x86-64 baseline (SSE2), so plain loops would only get 4-wide
// vectors without FMA. Functions marked UNINLU_SIMD_CLONES are compiled three times by GCC (AVX-512,
// AVX2+FMA, baseline) and the dynamic loader picks the best clone once through an ifunc, so one
// binary runs on any x86-64 CPU and still uses the wide units where they exist. Clone only serial
// leaf functions: OpenMP regions stay in plain functions that call them.
//
// exp_approx and erf_approx are branch-free so the compiler vectorises the loops that call them
// (libm's expf/erff are scalar calls).
#include <algorithm>
#include <bit>
#include <cstdint>

// Not under TSan: the ifunc resolvers run while the dynamic loader relocates, before TSan's runtime is
// up, and their instrumented entry crashes the program before main (GCC 12).
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && !defined(__SANITIZE_THREAD__)
#define UNINLU_SIMD_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define UNINLU_SIMD_CLONES
#endif
// Helpers called inside cloned loops must be inlined to be compiled for the clone's instruction set.
#define UNINLU_INLINE [[gnu::always_inline]] inline

namespace uninlu::cpu {

// e^x, relative error below 3e-7 over the float range (Cody-Waite reduction, degree-6 polynomial);
// inputs are clamped to [-87, 88] so 2^n stays a normal float.
UNINLU_INLINE float exp_approx(float x) noexcept {
  x = std::min(std::max(x, -87.0f), 88.0f);
  const float shifted = x * 1.44269504088896341f + 12582912.0f;  // 1.5 * 2^23: rounds to nearest
  const float n = shifted - 12582912.0f;
  float r = x - n * 0.693359375f;  // ln 2 split in a high part exact in float...
  r = r - n * -2.12194440e-4f;     // ...and the low remainder
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  const std::int32_t exponent = (static_cast<std::int32_t>(n) + 127) << 23;
  return p * std::bit_cast<float>(exponent);
}

// erf(x), absolute error about 1e-7: the rational approximation used by Eigen and XLA, on x clamped
// to [-4, 4] (beyond that erf is +-1 in float).
UNINLU_INLINE float erf_approx(float x) noexcept {
  x = std::min(std::max(x, -4.0f), 4.0f);
  const float x2 = x * x;
  float p = -2.72614225801306e-10f;
  p = p * x2 + 2.77068142495902e-08f;
  p = p * x2 + -2.10102402082508e-06f;
  p = p * x2 + -5.69250639462346e-05f;
  p = p * x2 + -7.34990630326855e-04f;
  p = p * x2 + -2.95459980854025e-03f;
  p = p * x2 + -1.60960333262415e-02f;
  p = p * x;
  float q = -1.45660718464996e-05f;
  q = q * x2 + -2.13374055278905e-04f;
  q = q * x2 + -1.68282697438203e-03f;
  q = q * x2 + -7.37332916720468e-03f;
  q = q * x2 + -1.42647390514189e-02f;
  return p / q;
}

}  // namespace uninlu::cpu
