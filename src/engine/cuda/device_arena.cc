#include "engine/cuda/device_arena.h"

#include <spdlog/spdlog.h>

#include "core/error.h"
#include "kernels/cuda/cuda_error.h"
#include "engine/cuda/host/arena_policy.h"

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

// Applies arena_policy.h to a buffer type (DeviceBuffer or PinnedBuffer) made by `allocate(bytes)`.
template <class Buffer, class Allocate>
void resize_for(Buffer& buffer, std::size_t planned, std::size_t needed, const std::string& owner, const char* what,
                Allocate&& allocate) {
  const ArenaResize r = plan_arena_resize(buffer.size(), planned, needed);
  if (!r.change) return;
  if (r.grows_past_plan) {
    spdlog::warn("{}: {} grows from {} MiB to {} MiB for a batch larger than planned ({} MiB); it shrinks back "
                 "after it", owner, what, buffer.size() >> 20, r.bytes >> 20, planned >> 20);
  } else if (buffer.size() > r.bytes) {
    spdlog::info("{}: {} shrinks back from {} MiB to the planned {} MiB", owner, what, buffer.size() >> 20,
                 r.bytes >> 20);
  }
  buffer.reset();
  try {
    buffer = allocate(r.bytes);
  } catch (const CudaOutOfMemory&) {
    if (r.minimum >= r.bytes) throw;
    (void)cudaGetLastError();  // an allocation failure is not sticky; do not let it linger
    buffer = allocate(r.minimum);
  }
}

}  // namespace

void DeviceArena::reserve(std::size_t bytes) {
  planned_ = align_up(bytes, kMiB);
  if (buffer_.size() == planned_) return;
  buffer_.reset();
  buffer_ = DeviceBuffer(device_, planned_);
}

void DeviceArena::ensure(std::size_t bytes) {
  resize_for(buffer_, planned_, bytes, owner_, "device arena",
             [this](std::size_t n) { return DeviceBuffer(device_, n); });
}

void PinnedStaging::reserve(std::size_t bytes) {
  planned_ = align_up(bytes, kMiB);
  if (buffer_.size() == planned_) return;
  buffer_.reset();
  buffer_ = PinnedBuffer(device_, planned_);
}

void PinnedStaging::ensure(std::size_t bytes) {
  resize_for(buffer_, planned_, bytes, owner_, "pinned staging",
             [this](std::size_t n) { return PinnedBuffer(device_, n); });
}

}  // namespace uninlu::cuda
