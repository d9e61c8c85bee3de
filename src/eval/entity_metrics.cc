#include "eval/entity_metrics.h"

#include <algorithm>
#include <utility>

#include "core/error.h"

namespace uninlu::eval {

Entity entity_from_offset(std::string type, std::int64_t begin, std::int64_t end_exclusive) {
  return {std::move(type), begin, end_exclusive - 1};
}

Scores scores(const Counts& c) {
  Scores s;
  if (c.pred > 0) s.precision = static_cast<double>(c.tp) / static_cast<double>(c.pred);
  if (c.gold > 0) s.recall = static_cast<double>(c.tp) / static_cast<double>(c.gold);
  if (s.precision + s.recall > 0.0) s.f1 = 2.0 * s.precision * s.recall / (s.precision + s.recall);
  return s;
}

EntityScorer::EntityScorer(std::vector<std::string> types) : types_(std::move(types)), counts_(types_.size()) {
  for (std::size_t i = 0; i < types_.size(); ++i) {
    if (types_[i].empty()) fail(ErrorKind::Internal, "EntityScorer: empty type name");
    if (std::find(types_.begin(), types_.begin() + static_cast<std::ptrdiff_t>(i), types_[i]) !=
        types_.begin() + static_cast<std::ptrdiff_t>(i)) {
      fail(ErrorKind::Internal, "EntityScorer: type '" + types_[i] + "' listed twice");
    }
  }
}

std::size_t EntityScorer::index_of(const std::string& type) const {
  const auto it = std::find(types_.begin(), types_.end(), type);
  if (it == types_.end()) fail(ErrorKind::InvalidInput, "entity type '" + type + "' is not in the type list");
  return static_cast<std::size_t>(it - types_.begin());
}

void EntityScorer::add(const std::set<Entity>& gold, const std::vector<Entity>& predicted) {
  const std::set<Entity> pred(predicted.begin(), predicted.end());
  // Resolve every type before counting, so a bad entity leaves the scorer unchanged.
  std::vector<std::size_t> gold_idx, pred_idx;
  for (const auto& e : gold) gold_idx.push_back(index_of(e.type));
  for (const auto& e : pred) pred_idx.push_back(index_of(e.type));
  for (const std::size_t i : gold_idx) ++counts_[i].gold;
  std::size_t k = 0;
  for (const auto& e : pred) {
    const std::size_t i = pred_idx[k++];
    ++counts_[i].pred;
    if (gold.contains(e)) ++counts_[i].tp;
  }
  ++texts_;
}

Counts EntityScorer::micro() const {
  Counts total;
  for (const auto& c : counts_) total += c;
  return total;
}

}  // namespace uninlu::eval
