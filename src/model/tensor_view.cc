#include "model/tensor_view.h"

#include <cstring>
#include <limits>

namespace uninlu {

namespace {

bool add_overflows(std::int64_t a, std::int64_t b, std::int64_t& out) { return __builtin_add_overflow(a, b, &out); }
bool mul_overflows(std::int64_t a, std::int64_t b, std::int64_t& out) { return __builtin_mul_overflow(a, b, &out); }

std::int64_t element_count(const std::vector<std::int64_t>& size) {
  std::int64_t n = 1;
  for (const auto d : size) n *= d;
  return n;
}

// Copies the view element by element (a run of contiguous inner elements at a time) in row-major order.
void gather(const StridedView& view, const std::byte* storage, std::byte* out) {
  const std::size_t elem = dtype_size(view.dtype);
  const std::size_t rank = view.size.size();
  if (rank == 0) {
    std::memcpy(out, storage + static_cast<std::size_t>(view.offset) * elem, elem);
    return;
  }
  const std::int64_t inner = view.size[rank - 1];
  const std::int64_t inner_stride = view.stride[rank - 1];
  std::vector<std::int64_t> index(rank - 1, 0);
  const std::int64_t outer_count = element_count(view.size) / inner;
  for (std::int64_t row = 0; row < outer_count; ++row) {
    std::int64_t start = view.offset;
    for (std::size_t d = 0; d + 1 < rank; ++d) start += index[d] * view.stride[d];
    const std::byte* src = storage + static_cast<std::size_t>(start) * elem;
    if (inner_stride == 1) {
      std::memcpy(out, src, static_cast<std::size_t>(inner) * elem);
      out += static_cast<std::size_t>(inner) * elem;
    } else {
      for (std::int64_t i = 0; i < inner; ++i) {
        std::memcpy(out, src + static_cast<std::size_t>(i * inner_stride) * elem, elem);
        out += elem;
      }
    }
    for (std::size_t d = rank - 1; d-- > 0;) {  // odometer over the outer dimensions
      if (++index[d] < view.size[d]) break;
      index[d] = 0;
    }
  }
}

}  // namespace

std::optional<std::int64_t> storage_elements_needed(const StridedView& view) {
  if (view.size.size() != view.stride.size() || view.offset < 0) return std::nullopt;
  std::int64_t numel = 1;
  for (std::size_t d = 0; d < view.size.size(); ++d) {
    if (view.size[d] < 0 || view.stride[d] < 0 || mul_overflows(numel, view.size[d], numel)) return std::nullopt;
  }
  if (numel > std::numeric_limits<std::int64_t>::max() / static_cast<std::int64_t>(dtype_size(view.dtype))) {
    return std::nullopt;  // a contiguous copy could not be addressed
  }
  if (numel == 0) return 0;
  std::int64_t last = view.offset;  // index of the last element the view touches
  for (std::size_t d = 0; d < view.size.size(); ++d) {
    std::int64_t reach;
    if (mul_overflows(view.size[d] - 1, view.stride[d], reach) || add_overflows(last, reach, last)) return std::nullopt;
  }
  std::int64_t needed;
  if (add_overflows(last, 1, needed)) return std::nullopt;
  // The copy's byte count must fit too.
  if (needed > std::numeric_limits<std::int64_t>::max() / static_cast<std::int64_t>(dtype_size(view.dtype))) {
    return std::nullopt;
  }
  return needed;
}

bool is_contiguous(const StridedView& view) {
  std::int64_t expected = 1;
  for (std::size_t d = view.size.size(); d-- > 0;) {
    if (view.size[d] == 1) continue;  // any stride is fine for a dimension of one
    if (view.stride[d] != expected) return false;
    expected *= view.size[d];
  }
  return true;
}

HostTensor tensor_from_view(const StridedView& view, const std::byte* storage,
                            const std::shared_ptr<const void>& owner) {
  if (element_count(view.size) == 0) return HostTensor::zeros(view.dtype, view.size);
  const std::size_t elem = dtype_size(view.dtype);
  const std::byte* first = storage + static_cast<std::size_t>(view.offset) * elem;
  // Engines read these as float/uint16_t/double: borrowing needs at least the dtype's alignment.
  const bool aligned = reinterpret_cast<std::uintptr_t>(first) % elem == 0;
  if (aligned && is_contiguous(view)) return HostTensor::borrow(view.dtype, view.size, first, owner);
  HostTensor copy = HostTensor::zeros(view.dtype, view.size);
  gather(view, storage, copy.mutable_data<std::byte>());
  return copy;
}

}  // namespace uninlu
