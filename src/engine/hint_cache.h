#pragma once
// Hint states survive the call that computed them: a schema's hints ("[CLS] 公司 : [SEP]" at offset 17)
// come back with every request that uses the schema on a text window of the same padded length, and
// their states depend on nothing else. A bounded least-recently-used cache keyed by (position_offset,
// ids) lets the hint stage run only for hints the backend has not seen lately.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

namespace uninlu {

class HintCache {
 public:
  explicit HintCache(std::size_t capacity_bytes) : capacity_bytes_(capacity_bytes) {}

  bool enabled() const noexcept { return capacity_bytes_ > 0; }

  // The cached states [ids.size(), hidden] or null. The pointer stays valid until the next insert().
  const float* find(std::span<const std::int32_t> ids, int position_offset);
  // Copies `states` ([ids.size(), hidden]) in, evicting the least recently used entries over capacity.
  void insert(std::span<const std::int32_t> ids, int position_offset, const float* states, int hidden);

  std::size_t entries() const noexcept { return entries_.size(); }
  std::size_t bytes() const noexcept { return bytes_; }
  std::uint64_t hits() const noexcept { return hits_; }
  std::uint64_t misses() const noexcept { return misses_; }

 private:
  struct Entry {
    std::vector<float> states;
    std::uint64_t last_used = 0;
  };
  const std::string& key(std::span<const std::int32_t> ids, int position_offset);

  std::size_t capacity_bytes_;
  std::size_t bytes_ = 0;
  std::uint64_t clock_ = 0, hits_ = 0, misses_ = 0;
  std::string key_;  // reused: a lookup allocates nothing once it has grown
  std::unordered_map<std::string, Entry> entries_;
};

}  // namespace uninlu
