#pragma once
// RAII owners of CUDA resources. Each remembers its device and makes it current while it is released,
// so a backend that drives two GPUs (layer split) can free everything from one thread. Release errors
// are ignored: a destructor cannot throw, and after a sticky error every release fails harmlessly.
#include <cuda_runtime_api.h>

#include <cstddef>
#include <utility>

namespace uninlu::cuda {

// Runs a release call (cudaFree, cudaStreamDestroy, ...) with `device` current and restores the previous
// device; never throws. For destructors. A failure it ignores must not linger as the thread's "last
// error" (cudaGetLastError after a later kernel launch would report it), so that is cleared.
template <class Release>
void release_on(int device, Release&& release) noexcept {
  int previous = -1;
  const bool switch_device = device >= 0 && cudaGetDevice(&previous) == cudaSuccess && previous != device;
  if (switch_device) (void)cudaSetDevice(device);
  release();
  if (switch_device) (void)cudaSetDevice(previous);
  (void)cudaGetLastError();
}

// Makes `device` current for the scope and restores the previous device afterwards.
class DeviceGuard {
 public:
  explicit DeviceGuard(int device);
  ~DeviceGuard();
  DeviceGuard(const DeviceGuard&) = delete;
  DeviceGuard& operator=(const DeviceGuard&) = delete;

 private:
  int previous_ = -1;
  bool changed_ = false;
};

// cudaMalloc'd bytes on one device.
class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  DeviceBuffer(int device, std::size_t bytes);  // throws CudaOutOfMemory
  ~DeviceBuffer() { reset(); }
  DeviceBuffer(DeviceBuffer&& other) noexcept { *this = std::move(other); }
  DeviceBuffer& operator=(DeviceBuffer&& other) noexcept;
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;

  void reset() noexcept;
  std::byte* data() const noexcept { return data_; }
  std::size_t size() const noexcept { return bytes_; }
  int device() const noexcept { return device_; }

 private:
  std::byte* data_ = nullptr;
  std::size_t bytes_ = 0;
  int device_ = -1;
};

// Page-locked host memory (portable: usable by copies to and from any GPU), for asynchronous copies.
// Allocated with `device` current: a pinned allocation belongs to the context current when it is made
// (cudaHostAllocPortable only maps it into the others), and a reset of that device frees it. Each backend
// allocates its staging under its own GPU so that resetting one GPU leaves the others' staging valid.
class PinnedBuffer {
 public:
  PinnedBuffer() = default;
  PinnedBuffer(int device, std::size_t bytes);  // throws CudaOutOfMemory
  ~PinnedBuffer() { reset(); }
  PinnedBuffer(PinnedBuffer&& other) noexcept { *this = std::move(other); }
  PinnedBuffer& operator=(PinnedBuffer&& other) noexcept;
  PinnedBuffer(const PinnedBuffer&) = delete;
  PinnedBuffer& operator=(const PinnedBuffer&) = delete;

  void reset() noexcept;
  std::byte* data() const noexcept { return data_; }
  std::size_t size() const noexcept { return bytes_; }
  int device() const noexcept { return device_; }

 private:
  std::byte* data_ = nullptr;
  std::size_t bytes_ = 0;
  int device_ = -1;
};

// Makes `device` current without throwing, clearing whatever error the switch reports; for the recovery
// path, where an earlier asynchronous (possibly sticky) error makes cudaSetDevice fail although the
// device did become current. True when `device` is current afterwards.
bool set_device_for_recovery(int device) noexcept;

// A non-blocking stream on one device (it does not synchronise with the legacy default stream).
class CudaStream {
 public:
  explicit CudaStream(int device);
  ~CudaStream();
  CudaStream(const CudaStream&) = delete;
  CudaStream& operator=(const CudaStream&) = delete;

  cudaStream_t get() const noexcept { return stream_; }
  int device() const noexcept { return device_; }
  void synchronize() const;  // throws CudaError

 private:
  cudaStream_t stream_ = nullptr;
  int device_;
};

// An event for timing or cross-stream ordering.
class CudaEvent {
 public:
  explicit CudaEvent(int device, bool timing = false);
  ~CudaEvent();
  CudaEvent(const CudaEvent&) = delete;
  CudaEvent& operator=(const CudaEvent&) = delete;

  cudaEvent_t get() const noexcept { return event_; }
  void record(cudaStream_t stream);
  void synchronize() const;
  // Milliseconds between two recorded timing events (both complete).
  static float elapsed_ms(const CudaEvent& start, const CudaEvent& end);

 private:
  cudaEvent_t event_ = nullptr;
  int device_;
};

}  // namespace uninlu::cuda
