#include "kernels/cuda/device_arena.h"

#include <spdlog/spdlog.h>

#include "core/error.h"

namespace uninlu::cuda {

void* ArenaCarver::take_bytes(std::size_t bytes) {
  offset_ = align_up(offset_, kDeviceAlignment);
  const std::size_t begin = offset_;
  offset_ += align_up(bytes, kDeviceAlignment);
  if (base_ == nullptr) return nullptr;
  if (offset_ > capacity_) {
    fail(ErrorKind::Internal, "device arena overflow: " + std::to_string(offset_) + " bytes carved from " +
                                  std::to_string(capacity_) + "; this is a bug");
  }
  return base_ + begin;
}

namespace {
constexpr std::size_t kMiB = std::size_t{1} << 20;
}  // namespace

void DeviceArena::reserve(std::size_t bytes) {
  if (bytes <= buffer_.size()) return;
  buffer_.reset();
  buffer_ = DeviceBuffer(device_, align_up(bytes, kMiB));
}

void DeviceArena::ensure(std::size_t bytes) {
  if (bytes <= buffer_.size()) return;
  // Half as much again: a batch that grew the arena is likely to be followed by similar ones.
  const std::size_t grown = align_up(bytes + bytes / 2, kMiB);
  if (buffer_.size() > 0) {
    spdlog::warn("{}: device arena grows from {} MiB to {} MiB for a batch larger than planned", owner_,
                 buffer_.size() >> 20, grown >> 20);
  }
  buffer_.reset();
  buffer_ = DeviceBuffer(device_, grown);
}

void PinnedStaging::reserve(std::size_t bytes) {
  if (bytes <= buffer_.size()) return;
  buffer_.reset();
  buffer_ = PinnedBuffer(align_up(bytes, kMiB));
}

void PinnedStaging::ensure(std::size_t bytes) {
  if (bytes <= buffer_.size()) return;
  const std::size_t grown = align_up(bytes + bytes / 2, kMiB);
  if (buffer_.size() > 0) {
    spdlog::warn("{}: pinned staging grows from {} MiB to {} MiB", owner_, buffer_.size() >> 20, grown >> 20);
  }
  buffer_.reset();
  buffer_ = PinnedBuffer(grown);
}

}  // namespace uninlu::cuda
