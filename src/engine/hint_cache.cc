#include "engine/hint_cache.h"

#include <algorithm>
#include <cstring>

namespace uninlu {

const std::string& HintCache::key(std::span<const std::int32_t> ids, int position_offset) {
  key_.resize(sizeof(int) + ids.size_bytes());
  std::memcpy(key_.data(), &position_offset, sizeof(int));
  if (!ids.empty()) std::memcpy(key_.data() + sizeof(int), ids.data(), ids.size_bytes());
  return key_;
}

const float* HintCache::find(std::span<const std::int32_t> ids, int position_offset) {
  if (!enabled()) return nullptr;
  auto it = entries_.find(key(ids, position_offset));
  if (it == entries_.end()) {
    ++misses_;
    return nullptr;
  }
  ++hits_;
  it->second.last_used = ++clock_;
  return it->second.states.data();
}

void HintCache::insert(std::span<const std::int32_t> ids, int position_offset, const float* states, int hidden) {
  const std::size_t count = ids.size() * static_cast<std::size_t>(hidden);
  const std::size_t size = count * sizeof(float);
  if (!enabled() || size > capacity_bytes_) return;
  // A linear scan for the oldest entry: evictions are rare and the cache holds a few hundred hints.
  while (bytes_ + size > capacity_bytes_) {
    const auto oldest = std::ranges::min_element(entries_, {}, [](const auto& kv) { return kv.second.last_used; });
    if (oldest == entries_.end()) break;
    bytes_ -= oldest->second.states.size() * sizeof(float);
    entries_.erase(oldest);
  }
  auto [it, inserted] = entries_.try_emplace(key(ids, position_offset));
  if (!inserted) bytes_ -= it->second.states.size() * sizeof(float);
  it->second.states.assign(states, states + count);
  it->second.last_used = ++clock_;
  bytes_ += size;
}

}  // namespace uninlu
