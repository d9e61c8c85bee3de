#include "engine/cuda/cuda_resources.h"

#include "kernels/cuda/cuda_error.h"

namespace uninlu::cuda {
DeviceGuard::DeviceGuard(int device) {
  UNINLU_CUDA_CHECK(cudaGetDevice(&previous_));
  if (previous_ != device) {
    UNINLU_CUDA_CHECK(cudaSetDevice(device));
    changed_ = true;
  }
}

DeviceGuard::~DeviceGuard() {
  if (changed_) release_on(-1, [this] { (void)cudaSetDevice(previous_); });
}

DeviceBuffer::DeviceBuffer(int device, std::size_t bytes) : device_(device) {
  if (bytes == 0) return;
  DeviceGuard guard(device);
  void* p = nullptr;
  UNINLU_CUDA_CHECK(cudaMalloc(&p, bytes));
  data_ = static_cast<std::byte*>(p);
  bytes_ = bytes;
}

DeviceBuffer& DeviceBuffer::operator=(DeviceBuffer&& other) noexcept {
  if (this != &other) {
    reset();
    data_ = std::exchange(other.data_, nullptr);
    bytes_ = std::exchange(other.bytes_, 0);
    device_ = std::exchange(other.device_, -1);
  }
  return *this;
}

void DeviceBuffer::reset() noexcept {
  if (data_ != nullptr) release_on(device_, [this] { (void)cudaFree(data_); });
  data_ = nullptr;
  bytes_ = 0;
}

PinnedBuffer::PinnedBuffer(int device, std::size_t bytes) : device_(device) {
  if (bytes == 0) return;
  DeviceGuard guard(device);
  void* p = nullptr;
  UNINLU_CUDA_CHECK(cudaHostAlloc(&p, bytes, cudaHostAllocPortable));
  data_ = static_cast<std::byte*>(p);
  bytes_ = bytes;
}

PinnedBuffer& PinnedBuffer::operator=(PinnedBuffer&& other) noexcept {
  if (this != &other) {
    reset();
    data_ = std::exchange(other.data_, nullptr);
    bytes_ = std::exchange(other.bytes_, 0);
    device_ = std::exchange(other.device_, -1);
  }
  return *this;
}

void PinnedBuffer::reset() noexcept {
  if (data_ != nullptr) release_on(device_, [this] { (void)cudaFreeHost(data_); });
  data_ = nullptr;
  bytes_ = 0;
}

bool set_device_for_recovery(int device) noexcept {
  (void)cudaSetDevice(device);  // may report an earlier asynchronous error of the (lost) context
  (void)cudaGetLastError();
  int current = -1;
  const bool ok = cudaGetDevice(&current) == cudaSuccess && current == device;
  (void)cudaGetLastError();
  return ok;
}

CudaStream::CudaStream(int device) : device_(device) {
  DeviceGuard guard(device);
  UNINLU_CUDA_CHECK(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking));
}

CudaStream::~CudaStream() {
  if (stream_ != nullptr) release_on(device_, [this] { (void)cudaStreamDestroy(stream_); });
}

void CudaStream::synchronize() const { UNINLU_CUDA_CHECK(cudaStreamSynchronize(stream_)); }

CudaEvent::CudaEvent(int device, bool timing) : device_(device) {
  DeviceGuard guard(device);
  UNINLU_CUDA_CHECK(cudaEventCreateWithFlags(&event_, timing ? cudaEventDefault : cudaEventDisableTiming));
}

CudaEvent::~CudaEvent() {
  if (event_ != nullptr) release_on(device_, [this] { (void)cudaEventDestroy(event_); });
}

void CudaEvent::record(cudaStream_t stream) { UNINLU_CUDA_CHECK(cudaEventRecord(event_, stream)); }
void CudaEvent::synchronize() const { UNINLU_CUDA_CHECK(cudaEventSynchronize(event_)); }

float CudaEvent::elapsed_ms(const CudaEvent& start, const CudaEvent& end) {
  float ms = 0;
  UNINLU_CUDA_CHECK(cudaEventElapsedTime(&ms, start.event_, end.event_));
  return ms;
}

}  // namespace uninlu::cuda
