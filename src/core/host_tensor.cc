#include "core/host_tensor.h"

#include <cstdlib>
#include <new>

#include "core/error.h"

namespace uninlu {

namespace {

std::shared_ptr<void> allocate_aligned(std::size_t bytes) {
  const std::size_t rounded = (bytes + 63) / 64 * 64;
  void* p = std::aligned_alloc(64, rounded == 0 ? 64 : rounded);
  if (p == nullptr) throw std::bad_alloc();
  std::memset(p, 0, rounded == 0 ? 64 : rounded);
  return std::shared_ptr<void>(p, [](void* q) { std::free(q); });
}

}  // namespace

std::int64_t HostTensor::numel() const noexcept {
  std::int64_t n = 1;
  for (auto d : shape_) n *= d;
  return n;
}

HostTensor HostTensor::zeros(DType dtype, std::vector<std::int64_t> shape) {
  HostTensor t;
  t.dtype_ = dtype;
  t.shape_ = std::move(shape);
  auto storage = allocate_aligned(t.nbytes());
  t.data_ = storage.get();
  t.owner_ = std::move(storage);
  return t;
}

HostTensor HostTensor::borrow(DType dtype, std::vector<std::int64_t> shape, const void* data,
                              std::shared_ptr<const void> owner) {
  HostTensor t;
  t.dtype_ = dtype;
  t.shape_ = std::move(shape);
  t.data_ = data;
  t.owner_ = std::move(owner);
  return t;
}

HostTensor HostTensor::to_f32() const {
  if (dtype_ == DType::F32) return *this;
  HostTensor out = zeros(DType::F32, shape_);
  float* dst = out.mutable_data<float>();
  const std::int64_t n = numel();
  switch (dtype_) {
    case DType::F16:
      for (std::int64_t i = 0; i < n; ++i) dst[i] = half_to_float(data<std::uint16_t>()[i]);
      break;
    case DType::BF16:
      for (std::int64_t i = 0; i < n; ++i) dst[i] = bf16_to_float(data<std::uint16_t>()[i]);
      break;
    case DType::F64:
      for (std::int64_t i = 0; i < n; ++i) dst[i] = static_cast<float>(data<double>()[i]);
      break;
    default:
      fail(ErrorKind::Internal, std::string("to_f32: not a floating-point tensor (") +
                                    std::string(dtype_name(dtype_)) + ")");
  }
  return out;
}

HostTensor HostTensor::reshaped(std::vector<std::int64_t> shape) const {
  HostTensor t = *this;
  t.shape_ = std::move(shape);
  if (t.numel() != numel()) {
    fail(ErrorKind::Internal, "reshape " + shape_string() + " -> " + t.shape_string() + " changes the size");
  }
  return t;
}

std::string HostTensor::shape_string() const { return uninlu::shape_string(shape_); }

std::string shape_string(const std::vector<std::int64_t>& shape) {
  std::string s = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(shape[i]);
  }
  return s + "]";
}

}  // namespace uninlu
