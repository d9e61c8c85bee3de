// The entity-level metric of `uninlu eval` on hand-made examples (no model involved).
#include <gtest/gtest.h>

#include "core/error.h"
#include "eval/entity_metrics.h"

namespace uninlu::eval {
namespace {

Entity E(const char* type, std::int64_t start, std::int64_t end_inclusive) { return {type, start, end_inclusive}; }

TEST(EntityFromOffset, ExclusiveEndBecomesInclusive) {
  EXPECT_EQ(entity_from_offset("name", 9, 12), E("name", 9, 11));
  EXPECT_EQ(entity_from_offset("name", 0, 1), E("name", 0, 0));
}

TEST(EntityFromOffset, EmptySpanCanMatchNoGold) {
  // A head on [CLS] closed on [CLS] is offset [0, 0): end_inclusive -1, before its start.
  const Entity e = entity_from_offset("name", 0, 0);
  EXPECT_EQ(e.end_inclusive, -1);
  EntityScorer s({"name"});
  s.add({E("name", 0, 0)}, {e});
  EXPECT_EQ(s.counts(0).tp, 0u);
  EXPECT_EQ(s.counts(0).pred, 1u);
}

TEST(Scores, FormulaAndZeroDenominators) {
  const Scores s = scores({2, 3, 4});
  EXPECT_DOUBLE_EQ(s.precision, 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(s.recall, 0.5);
  EXPECT_DOUBLE_EQ(s.f1, 4.0 / 7.0);
  const Scores none = scores({0, 0, 0});
  EXPECT_EQ(none.precision, 0.0);
  EXPECT_EQ(none.recall, 0.0);
  EXPECT_EQ(none.f1, 0.0);
  const Scores no_pred = scores({0, 0, 5});
  EXPECT_EQ(no_pred.precision, 0.0);
  EXPECT_EQ(no_pred.f1, 0.0);
  const Scores no_gold = scores({0, 2, 0});
  EXPECT_EQ(no_gold.recall, 0.0);
  EXPECT_EQ(no_gold.f1, 0.0);
  const Scores perfect = scores({3, 3, 3});
  EXPECT_DOUBLE_EQ(perfect.f1, 1.0);
}

TEST(EntityScorer, ExactMatchOnTypeStartAndEnd) {
  EntityScorer s({"name", "company"});
  s.add({E("name", 9, 11), E("company", 0, 3)},
        {E("name", 9, 11),       // correct
         E("company", 0, 4),     // end off by one
         E("name", 0, 3)});      // right span, wrong type
  EXPECT_EQ(s.counts(0).tp, 1u);
  EXPECT_EQ(s.counts(0).pred, 2u);
  EXPECT_EQ(s.counts(0).gold, 1u);
  EXPECT_EQ(s.counts(1).tp, 0u);
  EXPECT_EQ(s.counts(1).pred, 1u);
  EXPECT_EQ(s.counts(1).gold, 1u);
}

TEST(EntityScorer, DuplicatePredictionsCountOnce) {
  EntityScorer s({"name"});
  s.add({E("name", 2, 4)}, {E("name", 2, 4), E("name", 2, 4), E("name", 2, 4)});
  EXPECT_EQ(s.counts(0).tp, 1u);
  EXPECT_EQ(s.counts(0).pred, 1u);
  EXPECT_DOUBLE_EQ(scores(s.counts(0)).precision, 1.0);
}

TEST(EntityScorer, SameMentionTwiceInATextIsTwoGoldEntities) {
  // CLUENER: {"address": {"日本": [[26, 27], [48, 49]]}} is two entities.
  EntityScorer s({"address"});
  s.add({E("address", 26, 27), E("address", 48, 49)}, {E("address", 26, 27)});
  EXPECT_EQ(s.counts(0).gold, 2u);
  EXPECT_DOUBLE_EQ(scores(s.counts(0)).recall, 0.5);
}

TEST(EntityScorer, EmptyPredictionsAndEmptyGold) {
  EntityScorer s({"name", "game"});
  s.add({}, {});                          // a text with nothing: counts nothing
  s.add({E("name", 0, 1)}, {});           // a miss
  s.add({}, {E("game", 3, 5)});           // a false alarm
  EXPECT_EQ(s.texts(), 3u);
  EXPECT_EQ(s.counts(0).gold, 1u);
  EXPECT_EQ(s.counts(0).pred, 0u);
  EXPECT_EQ(s.counts(1).gold, 0u);
  EXPECT_EQ(s.counts(1).pred, 1u);
  const Counts m = s.micro();
  EXPECT_EQ(m.tp, 0u);
  EXPECT_EQ(m.pred, 1u);
  EXPECT_EQ(m.gold, 1u);
  EXPECT_EQ(scores(m).f1, 0.0);
}

TEST(EntityScorer, MicroSumsCountsOverTypes) {
  // name: 3 gold, 2 predicted, 2 right (P 1, R 2/3); game: 1 gold, 3 predicted, 1 right (P 1/3, R 1).
  EntityScorer s({"name", "game"});
  s.add({E("name", 0, 1), E("name", 5, 6), E("game", 10, 12)},
        {E("name", 0, 1), E("game", 10, 12), E("game", 14, 15)});
  s.add({E("name", 3, 4)}, {E("name", 3, 4), E("game", 0, 2)});
  EXPECT_DOUBLE_EQ(scores(s.counts(0)).precision, 1.0);
  EXPECT_DOUBLE_EQ(scores(s.counts(0)).recall, 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(scores(s.counts(1)).precision, 1.0 / 3.0);
  EXPECT_DOUBLE_EQ(scores(s.counts(1)).recall, 1.0);
  const Counts m = s.micro();
  EXPECT_EQ(m.tp, 3u);
  EXPECT_EQ(m.pred, 5u);
  EXPECT_EQ(m.gold, 4u);
  // Micro, not the mean of the per-type F1s (0.8 and 0.5).
  EXPECT_DOUBLE_EQ(scores(m).f1, 2.0 * 0.6 * 0.75 / (0.6 + 0.75));
}

TEST(EntityScorer, UnknownTypeIsAnErrorAndChangesNothing) {
  EntityScorer s({"name"});
  try {
    s.add({E("name", 0, 1)}, {E("movie", 0, 1)});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::InvalidInput);
    EXPECT_NE(std::string(e.what()).find("movie"), std::string::npos);
  }
  EXPECT_EQ(s.counts(0).gold, 0u);
  EXPECT_EQ(s.texts(), 0u);
}

TEST(EntityScorer, RejectsRepeatedTypeNames) {
  EXPECT_THROW(EntityScorer({"name", "name"}), Error);
  EXPECT_THROW(EntityScorer({""}), Error);
}

}  // namespace
}  // namespace uninlu::eval
