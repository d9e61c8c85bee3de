#pragma once
// A call's host inputs (token ids, positions, attention layouts, text states...) sent in one H2D copy:
// each array gets a 256-byte aligned offset, the same in the pinned staging buffer and in the device
// region they are copied to.
#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstring>
#include <span>
#include <vector>

#include "kernels/cuda/cuda_error.h"
#include "engine/cuda/device_arena.h"

namespace uninlu::cuda {

class StagedUpload {
 public:
  using Piece = std::size_t;

  void clear() noexcept {
    pieces_.clear();
    bytes_ = 0;
  }
  template <class T>
  Piece add(std::span<const T> values) {
    return add_bytes(values.data(), values.size_bytes());
  }
  // aligned = false places the piece right after the previous one, so consecutive pieces of rows form
  // one contiguous matrix on the device.
  Piece add_bytes(const void* data, std::size_t bytes, bool aligned = true) {
    const std::size_t offset = aligned ? align_up(bytes_, kDeviceAlignment) : bytes_;
    pieces_.push_back({data, bytes, offset});
    bytes_ = offset + bytes;
    return pieces_.size() - 1;
  }
  std::size_t bytes() const noexcept { return align_up(bytes_, kDeviceAlignment); }

  // Copies every piece into `pinned` (at least bytes() long) and enqueues one copy of it to `device`.
  void send(std::byte* pinned, std::byte* device, cudaStream_t stream) const {
    if (bytes_ == 0) return;
    for (const auto& p : pieces_) {
      if (p.bytes > 0) std::memcpy(pinned + p.offset, p.data, p.bytes);
    }
    UNINLU_CUDA_CHECK(cudaMemcpyAsync(device, pinned, bytes_, cudaMemcpyHostToDevice, stream));
  }

  template <class T>
  const T* on_device(std::byte* device, Piece piece) const noexcept {
    return reinterpret_cast<const T*>(device + pieces_[piece].offset);
  }

 private:
  struct Entry {
    const void* data;
    std::size_t bytes;
    std::size_t offset;
  };
  std::vector<Entry> pieces_;
  std::size_t bytes_ = 0;
};

}  // namespace uninlu::cuda
