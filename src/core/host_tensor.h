#pragma once
// A contiguous row-major tensor in host memory. Storage is shared and immutable once built: either
// allocated here (64-byte aligned) or borrowed from a memory mapping that `owner` keeps alive, so a
// checkpoint's fp32 tensors can be used in place without a copy.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/dtype.h"

namespace uninlu {

class HostTensor {
 public:
  HostTensor() = default;

  // Zero-filled, owned storage.
  static HostTensor zeros(DType dtype, std::vector<std::int64_t> shape);
  // Borrowed storage: `data` must stay valid while `owner` lives.
  static HostTensor borrow(DType dtype, std::vector<std::int64_t> shape, const void* data,
                           std::shared_ptr<const void> owner);

  DType dtype() const noexcept { return dtype_; }
  const std::vector<std::int64_t>& shape() const noexcept { return shape_; }
  int rank() const noexcept { return static_cast<int>(shape_.size()); }
  std::int64_t dim(int i) const { return shape_.at(static_cast<std::size_t>(i < 0 ? rank() + i : i)); }
  std::int64_t numel() const noexcept;
  std::size_t nbytes() const noexcept { return static_cast<std::size_t>(numel()) * dtype_size(dtype_); }
  bool empty() const noexcept { return data_ == nullptr; }

  const void* raw() const noexcept { return data_; }
  template <class T>
  const T* data() const noexcept {
    return static_cast<const T*>(data_);
  }
  // Writable access; only meaningful for storage allocated by zeros() and not yet shared.
  template <class T>
  T* mutable_data() noexcept {
    return static_cast<T*>(const_cast<void*>(data_));
  }

  // The same values as float32 (float16/bfloat16/float64 converted; float32 shares storage).
  HostTensor to_f32() const;
  // Same storage, new shape with the same element count.
  HostTensor reshaped(std::vector<std::int64_t> shape) const;

  std::string shape_string() const;  // "[768, 3072]"

 private:
  DType dtype_ = DType::F32;
  std::vector<std::int64_t> shape_;
  const void* data_ = nullptr;
  std::shared_ptr<const void> owner_;
};

std::string shape_string(const std::vector<std::int64_t>& shape);

}  // namespace uninlu
