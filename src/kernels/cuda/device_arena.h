#pragma once
// Device memory for one backend call's activations: one cudaMalloc'd block, carved by bump allocation.
// A call first measures what it needs (the same carve run on a null base), ensure()s the arena is that
// large, then carves for real. The arena is sized at startup for the device's token budget, so ensure()
// reallocates only for a batch larger than any planned (with a log line), before the call's first
// kernel: there is no cudaMalloc on the hot path.
#include <cstddef>
#include <string>

#include "kernels/cuda/cuda_resources.h"

namespace uninlu::cuda {

// 256 bytes: cuBLASLt's heuristics assume operands aligned to 256 (CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_*).
inline constexpr std::size_t kDeviceAlignment = 256;

constexpr std::size_t align_up(std::size_t value, std::size_t alignment) noexcept {
  return (value + alignment - 1) / alignment * alignment;
}

// Hands out aligned sub-ranges of [base, base + capacity). With a null base it only counts (measuring).
class ArenaCarver {
 public:
  explicit ArenaCarver(std::byte* base = nullptr, std::size_t capacity = 0) : base_(base), capacity_(capacity) {}

  template <class T>
  T* take(std::size_t count) {
    return static_cast<T*>(take_bytes(count * sizeof(T)));
  }
  void* take_bytes(std::size_t bytes);  // throws Error(Internal) past the capacity (a sizing bug)

  std::size_t used() const noexcept { return offset_; }
  bool measuring() const noexcept { return base_ == nullptr; }

 private:
  std::byte* base_;
  std::size_t capacity_;
  std::size_t offset_ = 0;
};

class DeviceArena {
 public:
  DeviceArena(int device, std::string owner) : device_(device), owner_(std::move(owner)) {}

  // At startup: exactly `bytes` (rounded up to a MiB), when it holds less.
  void reserve(std::size_t bytes);
  // Before a call's first kernel: at least `bytes`, growing by half as much again with a warning (a batch
  // larger than planned). Both free first, then allocate (never both blocks at once; cudaFree waits for
  // the device's pending work); on CudaOutOfMemory the arena holds nothing and the next call retries.
  void ensure(std::size_t bytes);
  ArenaCarver carver() const noexcept { return ArenaCarver(buffer_.data(), buffer_.size()); }
  std::size_t capacity() const noexcept { return buffer_.size(); }

 private:
  int device_;
  std::string owner_;  // for the log line
  DeviceBuffer buffer_;
};

// Grow-only pinned staging (host side of the uploads and downloads), same policy as the arena.
class PinnedStaging {
 public:
  explicit PinnedStaging(std::string owner) : owner_(std::move(owner)) {}
  void reserve(std::size_t bytes);
  void ensure(std::size_t bytes);
  std::byte* data() const noexcept { return buffer_.data(); }
  std::size_t capacity() const noexcept { return buffer_.size(); }

 private:
  std::string owner_;
  PinnedBuffer buffer_;
};

}  // namespace uninlu::cuda
