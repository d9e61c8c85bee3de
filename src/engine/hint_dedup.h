#pragma once
// Identical hints at the same position offset give identical hint states, and batches repeat them a
// lot (every request with the schema {"公司": null} and a text window of the same padded length asks
// for "[CLS] 公司 : [SEP]" at the same offset), so a batch runs each distinct pair once.
#include <span>
#include <vector>

#include "engine/backend.h"

namespace uninlu {

struct HintGroups {
  std::vector<int> unique_of;     // per hint: the index of its distinct hint
  std::vector<int> unique_first;  // per distinct hint, in order of first appearance: a hint index holding it
  std::vector<int> order;         // scratch (sorted hint indices)
};

// Fills `groups` (reusing its capacity). With deduplicate false every hint is its own group.
void group_hints(std::span<const HintInput> hints, bool deduplicate, HintGroups& groups);

}  // namespace uninlu
