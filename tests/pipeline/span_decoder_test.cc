#include "pipeline/span_decoder.h"

#include <gtest/gtest.h>

namespace uninlu {
namespace {

using Offsets = std::vector<std::pair<std::int32_t, std::int32_t>>;

MergedLogits single(std::vector<double> head, std::vector<double> tail) { return {std::move(head), std::move(tail)}; }

std::vector<std::pair<int, int>> spans_of(const std::vector<DecodedSpan>& spans) {
  std::vector<std::pair<int, int>> out;
  for (const auto& s : spans) out.emplace_back(s.begin, s.end);
  return out;
}

TEST(SpanDecoder, FirstTailAtOrAfterEachHead) {
  // [CLS] a b c d [SEP]
  const Offsets offsets = {{0, 0}, {0, 1}, {1, 2}, {2, 3}, {3, 4}, {0, 0}};
  const auto spans = decode_spans(single({0, 0.9, 0.6, 0, 0.7, 0}, {0, 0, 0.8, 0, 0, 0}), offsets);
  // heads 1 and 2 share tail 2; head 4 has no tail after it.
  EXPECT_EQ(spans_of(spans), (std::vector<std::pair<int, int>>{{0, 2}, {1, 2}}));
}

TEST(SpanDecoder, ThresholdIsStrictAndOnRawLogits) {
  const Offsets offsets = {{0, 0}, {0, 1}, {0, 0}};
  EXPECT_TRUE(decode_spans(single({0, 0.5, 0}, {0, 0.9, 0}), offsets).empty());
  EXPECT_TRUE(decode_spans(single({0, 0.9, 0}, {0, 0.5, 0}), offsets).empty());
  EXPECT_EQ(decode_spans(single({0, 0.5000001, 0}, {0, 0.51, 0}), offsets).size(), 1u);
}

TEST(SpanDecoder, SpecialTokensTakePartLikeTheReference) {
  // A head on [CLS] starts at 0; a tail on [SEP] ends at 0, giving an empty span [b, 0].
  const Offsets offsets = {{0, 0}, {0, 2}, {2, 3}, {0, 0}};
  const auto spans = decode_spans(single({0.9, 0, 0.9, 0.9}, {0, 0.9, 0, 0.9}), offsets);
  EXPECT_EQ(spans_of(spans), (std::vector<std::pair<int, int>>{{0, 0}, {0, 2}, {2, 0}}));
}

TEST(SpanDecoder, SortsByOffsetKeepingDuplicates) {
  // [CLS] and the first token both start at 0 and share a tail: the same span twice.
  const Offsets offsets = {{0, 0}, {0, 1}, {1, 2}, {0, 0}};
  const auto spans = decode_spans(single({0.9, 0.9, 0, 0}, {0, 0, 0.9, 0}), offsets);
  EXPECT_EQ(spans_of(spans), (std::vector<std::pair<int, int>>{{0, 2}, {0, 2}}));
}

TEST(SpanDecoder, MergesOverlappingWindowsByMean) {
  const std::vector<float> h0 = {1, 2, 3, 4}, t0 = {0, 0, 0, 0};
  const std::vector<float> h1 = {5, 6, 7}, t1 = {1, 1, 1};
  const std::vector<WindowLogits> windows = {{0, h0, t0}, {2, h1, t1}};
  const MergedLogits m = merge_window_logits(5, windows);
  EXPECT_EQ(m.head, (std::vector<double>{1, 2, 4, 5, 7}));
  EXPECT_EQ(m.tail, (std::vector<double>{0, 0, 0.5, 0.5, 1}));
}

TEST(SpanDecoder, MergeTreatsMinusOneAsUncoveredLikeTheReference) {
  const std::vector<float> h0 = {0, -1}, h1 = {3, 9};
  const std::vector<WindowLogits> windows = {{0, h0, h0}, {1, h1, h1}};
  const MergedLogits m = merge_window_logits(3, windows);
  EXPECT_EQ(m.head, (std::vector<double>{0, 3, 9}));  // -1 then 3 gives 3, not the mean 1
}

TEST(SpanDecoder, MarginIsDistanceToThreshold) {
  EXPECT_DOUBLE_EQ(threshold_margin(single({0.25, 0.75}, {0.45, -3})), 0.05);
}

}  // namespace
}  // namespace uninlu
