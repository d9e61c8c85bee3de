#pragma once
// Entity-level precision / recall / F1 as CLUENER scores NER: an entity is (type, start, end_inclusive) in
// code points; gold and predictions are sets (a duplicate prediction counts once); a prediction is
// correct when the same triple is gold. Per type and micro-averaged over all types (summed counts).
#include <compare>
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

namespace uninlu::eval {

struct Entity {
  std::string type;
  std::int64_t start = 0;
  std::int64_t end_inclusive = 0;
  auto operator<=>(const Entity&) const = default;
};

// The pipeline reports a span as offset [begin, end) (end exclusive); CLUENER labels are
// [start, end_inclusive]. An empty span (end <= begin) maps to an end before its start, which matches
// no gold entity: it counts as a wrong prediction.
Entity entity_from_offset(std::string type, std::int64_t begin, std::int64_t end_exclusive);

struct Counts {
  std::size_t tp = 0;
  std::size_t pred = 0;
  std::size_t gold = 0;
  Counts& operator+=(const Counts& o) {
    tp += o.tp;
    pred += o.pred;
    gold += o.gold;
    return *this;
  }
};

struct Scores {
  double precision = 0.0;  // tp / pred, 0 when nothing was predicted
  double recall = 0.0;     // tp / gold, 0 when there is no gold entity
  double f1 = 0.0;         // 2PR / (P + R), 0 when P + R is 0
};

Scores scores(const Counts& c);

class EntityScorer {
 public:
  // `types`: the type names, in report order. Error(Internal) for an empty or repeated name.
  explicit EntityScorer(std::vector<std::string> types);

  // One text: its gold set and its predictions (duplicates collapse). Error(InvalidInput) for an entity
  // whose type is not in the list.
  void add(const std::set<Entity>& gold, const std::vector<Entity>& predicted);

  const std::vector<std::string>& types() const noexcept { return types_; }
  const Counts& counts(std::size_t type_index) const { return counts_.at(type_index); }
  Counts micro() const;
  std::size_t texts() const noexcept { return texts_; }

 private:
  std::size_t index_of(const std::string& type) const;

  std::vector<std::string> types_;
  std::vector<Counts> counts_;
  std::size_t texts_ = 0;
};

}  // namespace uninlu::eval
