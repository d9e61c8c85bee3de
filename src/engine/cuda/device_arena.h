#pragma once
// Device memory for one backend call's activations: one cudaMalloc'd block, carved by bump allocation.
// A call first measures what it needs (the same carve run on a null base), ensure()s the arena is that
// large, then carves for real. The arena is sized at startup for the device's token budget, so ensure()
// reallocates only for a batch larger than any planned (with a log line), before the call's first
// kernel, and shrinks back to the plan afterwards (engine/cuda/host/arena_policy.h has the policy).
#include <cstddef>
#include <string>

#include "engine/cuda/cuda_resources.h"

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

  // At startup (outside any batch): plans `bytes` (rounded up to a MiB) and holds exactly that.
  void reserve(std::size_t bytes);
  // Before a call's first kernel: at least `bytes` (arena_policy.h: grows past the plan with a warning for
  // a batch larger than planned, back to the plan afterwards). Frees first, then allocates (never both
  // blocks at once; cudaFree waits for the device's pending work); on CudaOutOfMemory the arena holds
  // nothing and the next call retries (at the planned size when it fits it).
  void ensure(std::size_t bytes);
  ArenaCarver carver() const noexcept { return ArenaCarver(buffer_.data(), buffer_.size()); }
  std::size_t capacity() const noexcept { return buffer_.size(); }
  std::size_t planned() const noexcept { return planned_; }

 private:
  int device_;
  std::string owner_;  // for the log line
  std::size_t planned_ = 0;
  DeviceBuffer buffer_;
};

// Pinned staging (host side of the uploads and downloads), same policy as the arena. Allocated under
// `device` so that it belongs to that GPU's context: a reset of another GPU leaves it alone.
class PinnedStaging {
 public:
  PinnedStaging(int device, std::string owner) : device_(device), owner_(std::move(owner)) {}
  void reserve(std::size_t bytes);
  void ensure(std::size_t bytes);
  std::byte* data() const noexcept { return buffer_.data(); }
  std::size_t capacity() const noexcept { return buffer_.size(); }

 private:
  int device_;
  std::string owner_;
  std::size_t planned_ = 0;
  PinnedBuffer buffer_;
};

}  // namespace uninlu::cuda
