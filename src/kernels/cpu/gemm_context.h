#pragma once
// Internal to the GEMM family: the state behind GemmContext (see gemm.h).
#include <cstddef>
#include <cstdint>
#include <dnnl.hpp>
#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

#include "kernels/cpu/aligned_buffer.h"
#include "kernels/cpu/gemm.h"

namespace uninlu::cpu {

// One matmul primitive for one (rows, in, out, precision, bias) shape, with its memory objects and
// argument list built once: forward() only swaps data pointers and executes through the C API (the C++
// wrapper converts its argument map into a fresh vector on every call), so a cached shape allocates
// nothing.
struct CachedMatmul {
  dnnl::matmul primitive;
  dnnl::memory src, weights, bias, dst, scratchpad;
  std::vector<dnnl_exec_arg_t> args;
  std::size_t scratchpad_bytes = 0;
  std::string implementation;
};

struct MatmulKey {
  int rows = 0;
  int in = 0;
  int out = 0;
  GemmPrecision precision = GemmPrecision::F32;
  bool has_bias = false;
  bool operator==(const MatmulKey&) const = default;
};

struct MatmulKeyHash {
  std::size_t operator()(const MatmulKey& k) const noexcept {
    std::uint64_t h = static_cast<std::uint64_t>(k.rows);
    h = h * 1000003u + static_cast<std::uint64_t>(k.in);
    h = h * 1000003u + static_cast<std::uint64_t>(k.out);
    h = h * 31u + static_cast<std::uint64_t>(k.precision) * 2u + (k.has_bias ? 1u : 0u);
    return static_cast<std::size_t>(h);
  }
};

class GemmContext {
 public:
  // Ragged batches give a new row count per call; past this many cached shapes the cache starts over
  // (re-creating a primitive costs about 0.3 ms, and oneDNN keeps its own cache of generated kernels).
  static constexpr std::size_t kMaxCachedMatmuls = 2048;

  GemmContext();

  dnnl::engine& engine() noexcept { return engine_; }
  dnnl::stream& stream() noexcept { return stream_; }

  // The cached primitive for `key`, made by `build` on a miss.
  CachedMatmul& matmul(const MatmulKey& key, const std::function<CachedMatmul()>& build);

  void* scratchpad(std::size_t bytes) { return scratchpad_.reserve(bytes); }
  std::uint16_t* bf16_staging(std::size_t count) { return bf16_staging_.reserve(count); }
  float* float_staging(std::size_t count) { return float_staging_.reserve(count); }
  std::int8_t* int8_staging(std::size_t count) { return int8_staging_.reserve(count); }
  std::int32_t* int32_staging(std::size_t count) { return int32_staging_.reserve(count); }
  float* row_scales(std::size_t count) { return row_scales_.reserve(count); }

 private:
  dnnl::engine engine_;
  dnnl::stream stream_;
  std::unordered_map<MatmulKey, CachedMatmul, MatmulKeyHash> matmuls_;
  AlignedBuffer<std::byte> scratchpad_;
  AlignedBuffer<std::uint16_t> bf16_staging_;
  AlignedBuffer<float> float_staging_;         // bf16-rounded inputs (emulated bf16 layers)
  AlignedBuffer<std::int8_t> int8_staging_;    // quantised inputs (int8 layers)
  AlignedBuffer<std::int32_t> int32_staging_;  // int32 accumulators before dequantisation
  AlignedBuffer<float> row_scales_;            // per-row input scales
};

}  // namespace uninlu::cpu
