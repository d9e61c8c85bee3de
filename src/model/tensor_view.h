#pragma once
// Turns a (storage, offset, size, stride) view, as checkpoints describe tensors, into a contiguous
// HostTensor. A contiguous view whose first element is aligned for its dtype is borrowed in place (zero
// copy); a strided, broadcast or misaligned one is copied into owned, 64-byte-aligned storage.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "core/host_tensor.h"

namespace uninlu {

struct StridedView {
  DType dtype = DType::F32;
  std::vector<std::int64_t> size;
  std::vector<std::int64_t> stride;  // in elements
  std::int64_t offset = 0;           // in elements, from the storage's first element
};

// Elements of storage the view reaches (offset + 1 + sum((size_i - 1) * stride_i), or 0 for an empty
// view); nullopt when sizes, strides or offset are negative, ranks differ, or the sum overflows.
std::optional<std::int64_t> storage_elements_needed(const StridedView& view);

bool is_contiguous(const StridedView& view);

// `storage` points at the storage's first element; the caller has checked that the storage holds
// storage_elements_needed(view) elements. `owner` keeps the bytes alive for borrowed results.
HostTensor tensor_from_view(const StridedView& view, const std::byte* storage,
                            const std::shared_ptr<const void>& owner);

}  // namespace uninlu
