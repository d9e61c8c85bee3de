#include "engine/hint_dedup.h"

#include <algorithm>
#include <cstddef>
#include <numeric>

namespace uninlu {
namespace {

bool same_hint(const HintInput& a, const HintInput& b) {
  return a.position_offset == b.position_offset && std::ranges::equal(a.ids, b.ids);
}

bool hint_less(const HintInput& a, const HintInput& b) {
  if (a.position_offset != b.position_offset) return a.position_offset < b.position_offset;
  return std::lexicographical_compare(a.ids.begin(), a.ids.end(), b.ids.begin(), b.ids.end());
}

}  // namespace

void group_hints(std::span<const HintInput> hints, bool deduplicate, HintGroups& groups) {
  const int count = static_cast<int>(hints.size());
  groups.unique_of.assign(hints.size(), -1);
  groups.unique_first.clear();
  if (!deduplicate) {
    for (int i = 0; i < count; ++i) {
      groups.unique_of[static_cast<std::size_t>(i)] = i;
      groups.unique_first.push_back(i);
    }
    return;
  }
  // Sort indices by (offset, ids), then give each run of equal hints the group of its smallest index;
  // groups are numbered by first appearance so the result does not depend on the sort.
  groups.order.resize(hints.size());
  std::iota(groups.order.begin(), groups.order.end(), 0);
  auto at = [&](int i) -> const HintInput& { return hints[static_cast<std::size_t>(i)]; };
  std::stable_sort(groups.order.begin(), groups.order.end(), [&](int a, int b) { return hint_less(at(a), at(b)); });
  // Within a run the stable sort keeps ascending indices, so the run's first element is its first appearance.
  std::vector<int>& leader = groups.order;  // reused below: order[k] -> leader index of its run
  std::size_t run_start = 0;
  for (std::size_t k = 1; k <= leader.size(); ++k) {
    if (k == leader.size() || !same_hint(at(leader[k]), at(leader[run_start]))) {
      const int first = leader[run_start];
      for (std::size_t j = run_start; j < k; ++j) groups.unique_of[static_cast<std::size_t>(leader[j])] = first;
      run_start = k;
    }
  }
  // Renumber leaders (hint indices) as group numbers in order of first appearance.
  for (int i = 0; i < count; ++i) {
    auto& u = groups.unique_of[static_cast<std::size_t>(i)];
    if (u == i) {
      groups.unique_first.push_back(i);
      u = static_cast<int>(groups.unique_first.size()) - 1;
    } else {
      u = groups.unique_of[static_cast<std::size_t>(u)];  // the leader (earlier index) is already numbered
    }
  }
}

}  // namespace uninlu
