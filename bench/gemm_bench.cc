// oneDNN matmul vs OpenBLAS sgemm on the linear layers of the full-size model:
// y[T, out] = x[T, in] · Wᵀ + b for T in {17, 64, 256, 1024} tokens and the three BERT-base shapes, on
// 1 and 2 threads. Variants:
//   onednn_fp32    oneDNN matmul primitive, weights prepacked (the engine's fp32 path)
//   openblas_fp32  OpenBLAS cblas_sgemm, weights pre-transposed to [in, out]
//   dnnl_sgemm     oneDNN's BLAS-like sgemm on the unpacked weights (what a runtime-M matmul runs)
//   onednn_bf16    oneDNN matmul, bf16 weights and inputs, fp32 accumulation (input conversion included)
//   onednn_int8    oneDNN matmul, s8 x s8 -> s32 with per-call input quantisation and dequantisation
// Run: build-engine/bench/gemm_bench --benchmark_counters_tabular=true
#include <benchmark/benchmark.h>
#include <dnnl.h>
#include <omp.h>

#include <cstdint>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "kernels/cpu/gemm.h"

namespace {

using uninlu::cpu::GemmLibrary;
using uninlu::cpu::GemmPrecision;

enum class Variant { OneDnnF32, OpenBlasF32, DnnlSgemm, OneDnnBf16, OneDnnInt8 };

const char* variant_name(Variant v) {
  switch (v) {
    case Variant::OneDnnF32:
      return "onednn_fp32";
    case Variant::OpenBlasF32:
      return "openblas_fp32";
    case Variant::DnnlSgemm:
      return "dnnl_sgemm";
    case Variant::OneDnnBf16:
      return "onednn_bf16";
    case Variant::OneDnnInt8:
      return "onednn_int8";
  }
  return "?";
}

std::vector<float> random_floats(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, 0.05f);
  std::vector<float> v(n);
  for (auto& x : v) x = dist(rng);
  return v;
}

struct Shape {
  int in, out;
  std::vector<float> weight, bias;
};

Shape& shape(int in, int out) {
  static std::map<std::pair<int, int>, Shape> shapes;
  auto [it, inserted] = shapes.try_emplace({in, out});
  if (inserted) {
    it->second = Shape{in, out, random_floats(static_cast<std::size_t>(in) * static_cast<std::size_t>(out), 1),
                       random_floats(static_cast<std::size_t>(out), 2)};
  }
  return it->second;
}

void run(benchmark::State& state, Variant variant, int tokens, int in, int out, int threads) {
  omp_set_num_threads(threads);
  Shape& s = shape(in, out);
  const auto x = random_floats(static_cast<std::size_t>(tokens) * static_cast<std::size_t>(in), 3);
  std::vector<float> y(static_cast<std::size_t>(tokens) * static_cast<std::size_t>(out));
  std::unique_ptr<uninlu::cpu::Linear> linear;
  auto context = uninlu::cpu::make_gemm_context();
  const uninlu::cpu::LinearWeightsView view{s.weight.data(), s.bias.data(), out, in};
  if (variant == Variant::OneDnnF32) linear = make_linear(view, GemmLibrary::OneDnn, GemmPrecision::F32, context);
  if (variant == Variant::OpenBlasF32) linear = make_linear(view, GemmLibrary::OpenBlas, GemmPrecision::F32, context);
  if (variant == Variant::OneDnnBf16) linear = make_linear(view, GemmLibrary::OneDnn, GemmPrecision::BF16, context);
  if (variant == Variant::OneDnnInt8) linear = make_linear(view, GemmLibrary::OneDnn, GemmPrecision::Int8, context);
  if (linear) {
    linear->forward(x.data(), tokens, y.data());  // builds the primitive outside the timed loop
    state.SetLabel(linear->describe());
  } else {
    state.SetLabel("dnnl_sgemm (no bias)");
  }
  for (auto _ : state) {
    if (linear) {
      linear->forward(x.data(), tokens, y.data());
    } else {
      dnnl_sgemm('N', 'T', tokens, out, in, 1.0f, x.data(), in, s.weight.data(), in, 0.0f, y.data(), out);
    }
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  }
  const double flops = 2.0 * tokens * in * out;
  state.counters["FLOP/s"] = benchmark::Counter(flops, benchmark::Counter::kIsIterationInvariantRate);
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::pair<int, int>> shapes = {{768, 768}, {768, 3072}, {3072, 768}};
  for (int threads : {1, 2}) {
    for (int tokens : {17, 64, 256, 1024}) {
      for (auto [in, out] : shapes) {
        for (Variant v :
             {Variant::OneDnnF32, Variant::OpenBlasF32, Variant::DnnlSgemm, Variant::OneDnnBf16, Variant::OneDnnInt8}) {
          const std::string name = std::string("gemm/") + variant_name(v) + "/T:" + std::to_string(tokens) + "/" +
                                   std::to_string(in) + "x" + std::to_string(out) +
                                   "/threads:" + std::to_string(threads);
          benchmark::RegisterBenchmark(name.c_str(),
                                       [=](benchmark::State& st) { run(st, v, tokens, in, out, threads); })
              ->Unit(benchmark::kMicrosecond)
              ->UseRealTime();
        }
      }
    }
  }
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
