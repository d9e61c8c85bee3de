#pragma once
// A grow-only, 64-byte aligned buffer of trivially copyable elements. Growing discards the old
// contents, so steady-state use (the same or smaller sizes) never allocates.
#include <cstddef>
#include <cstdlib>
#include <memory>
#include <new>
#include <type_traits>

namespace uninlu::cpu {

template <class T>
class AlignedBuffer {
  static_assert(std::is_trivially_copyable_v<T>);

 public:
  static constexpr std::size_t kAlignment = 64;

  // Makes room for `count` elements; the contents are unspecified afterwards if it grew.
  T* reserve(std::size_t count) {
    if (count > capacity_) {
      const std::size_t bytes = (count * sizeof(T) + kAlignment - 1) / kAlignment * kAlignment;
      void* raw = std::aligned_alloc(kAlignment, bytes);
      if (raw == nullptr) throw std::bad_alloc();
      data_.reset(static_cast<T*>(raw));
      capacity_ = count;
    }
    return data_.get();
  }

  T* data() noexcept { return data_.get(); }
  const T* data() const noexcept { return data_.get(); }
  std::size_t capacity() const noexcept { return capacity_; }

 private:
  struct Free {
    void operator()(T* p) const noexcept { std::free(p); }
  };
  std::unique_ptr<T, Free> data_;
  std::size_t capacity_ = 0;
};

}  // namespace uninlu::cpu
