// Checkpoint views (offset, size, stride) to contiguous tensors: borrowed when possible, copied otherwise.
#include "model/tensor_view.h"

#include <gtest/gtest.h>

#include <cstring>
#include <limits>
#include <numeric>

namespace uninlu {
namespace {

StridedView view(std::vector<std::int64_t> size, std::vector<std::int64_t> stride, std::int64_t offset = 0,
                 DType dtype = DType::F32) {
  return StridedView{dtype, std::move(size), std::move(stride), offset};
}

// 0, 1, 2, ... as float32, in 64-byte aligned memory the test owns.
std::shared_ptr<float> iota_storage(std::size_t n) {
  auto* p = static_cast<float*>(std::aligned_alloc(64, (n * sizeof(float) + 63) / 64 * 64));
  std::iota(p, p + n, 0.0f);
  return std::shared_ptr<float>(p, [](float* q) { std::free(q); });
}

std::vector<float> values(const HostTensor& t) {
  return std::vector<float>(t.data<float>(), t.data<float>() + t.numel());
}

TEST(StridedView, ElementsNeeded) {
  EXPECT_EQ(storage_elements_needed(view({2, 3}, {3, 1})), 6);
  EXPECT_EQ(storage_elements_needed(view({2, 3}, {3, 1}, 4)), 10);
  EXPECT_EQ(storage_elements_needed(view({3, 2}, {1, 3})), 6);       // transposed
  EXPECT_EQ(storage_elements_needed(view({1, 512}, {0, 1})), 512);   // broadcast, like position_ids
  EXPECT_EQ(storage_elements_needed(view({}, {}, 7)), 8);            // a scalar
  EXPECT_EQ(storage_elements_needed(view({0, 5}, {5, 1}, 100)), 0);  // empty: touches nothing
  EXPECT_EQ(storage_elements_needed(view({2}, {-1})), std::nullopt);
  EXPECT_EQ(storage_elements_needed(view({-2}, {1})), std::nullopt);
  EXPECT_EQ(storage_elements_needed(view({2}, {1}, -1)), std::nullopt);
  EXPECT_EQ(storage_elements_needed(view({2, 2}, {1})), std::nullopt);
  const std::int64_t big = std::numeric_limits<std::int64_t>::max() / 2;
  EXPECT_EQ(storage_elements_needed(view({3}, {big})), std::nullopt);
  EXPECT_EQ(storage_elements_needed(view({big, big}, {0, 0})), std::nullopt);
}

TEST(StridedView, Contiguity) {
  EXPECT_TRUE(is_contiguous(view({2, 3}, {3, 1})));
  EXPECT_TRUE(is_contiguous(view({1, 3}, {99, 1})));  // a dimension of one may have any stride
  EXPECT_FALSE(is_contiguous(view({3, 2}, {1, 3})));
  EXPECT_FALSE(is_contiguous(view({4}, {2})));
  EXPECT_FALSE(is_contiguous(view({1, 512}, {0, 0})));
}

TEST(TensorFromView, BorrowsAContiguousAlignedView) {
  auto storage = iota_storage(16);
  const auto* base = reinterpret_cast<const std::byte*>(storage.get());
  const HostTensor t = tensor_from_view(view({2, 3}, {3, 1}, 5), base, storage);
  EXPECT_EQ(t.raw(), storage.get() + 5);
  EXPECT_EQ(t.shape(), (std::vector<std::int64_t>{2, 3}));
  EXPECT_EQ(values(t), (std::vector<float>{5, 6, 7, 8, 9, 10}));
}

TEST(TensorFromView, CopiesAStridedView) {
  auto storage = iota_storage(16);
  const auto* base = reinterpret_cast<const std::byte*>(storage.get());
  const HostTensor transposed = tensor_from_view(view({3, 2}, {1, 3}, 1), base, storage);
  EXPECT_EQ(values(transposed), (std::vector<float>{1, 4, 2, 5, 3, 6}));
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(transposed.raw()) % 64, 0u);
  const HostTensor every_other = tensor_from_view(view({4}, {2}), base, storage);
  EXPECT_EQ(values(every_other), (std::vector<float>{0, 2, 4, 6}));
  const HostTensor broadcast = tensor_from_view(view({2, 3}, {0, 1}, 2), base, storage);
  EXPECT_EQ(values(broadcast), (std::vector<float>{2, 3, 4, 2, 3, 4}));
  const HostTensor scalar = tensor_from_view(view({}, {}, 9), base, storage);
  EXPECT_EQ(scalar.numel(), 1);
  EXPECT_EQ(scalar.data<float>()[0], 9.0f);
  const HostTensor empty = tensor_from_view(view({0, 3}, {3, 1}), base, storage);
  EXPECT_EQ(empty.numel(), 0);
}

TEST(TensorFromView, CopiesAViewThatIsNotAlignedForItsDtype) {
  // A float32 storage that starts one byte into an aligned buffer, as in a zip re-packed without padding.
  auto buffer = std::shared_ptr<std::byte>(static_cast<std::byte*>(std::aligned_alloc(64, 128)),
                                           [](std::byte* p) { std::free(p); });
  const float expected[3] = {1.5f, -2.0f, 3.25f};
  std::memcpy(buffer.get() + 1, expected, sizeof expected);
  const HostTensor t = tensor_from_view(view({3}, {1}), buffer.get() + 1, buffer);
  EXPECT_NE(t.raw(), static_cast<const void*>(buffer.get() + 1));
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(t.raw()) % 64, 0u);
  EXPECT_EQ(values(t), (std::vector<float>{1.5f, -2.0f, 3.25f}));
}

TEST(TensorFromView, KeepsItsOwnerAlive) {
  HostTensor t;
  std::weak_ptr<float> weak;
  {
    auto storage = iota_storage(4);
    weak = storage;
    t = tensor_from_view(view({4}, {1}), reinterpret_cast<const std::byte*>(storage.get()), storage);
  }
  EXPECT_FALSE(weak.expired());
  EXPECT_EQ(values(t), (std::vector<float>{0, 1, 2, 3}));
  t = HostTensor();
  EXPECT_TRUE(weak.expired());
}

}  // namespace
}  // namespace uninlu
