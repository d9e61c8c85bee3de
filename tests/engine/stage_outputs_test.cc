#include "engine/stage_outputs.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <vector>

namespace uninlu {
namespace {

TEST(StageOutputs, TextStatesSplitPerWindowInBatchOrder) {
  const int hidden = 2;
  const std::vector<std::int32_t> w1 = {101, 7, 102}, w2 = {101, 102};
  const std::vector<TextInput> batch = {{w1}, {w2}};
  std::vector<float> states;
  for (int v = 0; v < 5 * hidden; ++v) states.push_back(static_cast<float>(v));
  const auto out = split_text_states(states.data(), batch, hidden);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0]->len, 3);
  EXPECT_EQ(out[0]->hidden, hidden);
  EXPECT_EQ(out[0]->values, (std::vector<float>{0, 1, 2, 3, 4, 5}));
  EXPECT_EQ(out[1]->len, 2);
  EXPECT_EQ(out[1]->values, (std::vector<float>{6, 7, 8, 9}));
}

TEST(StageOutputs, SpanLogitsSplitPerItemByTextLength) {
  auto text = [](int len) {
    auto t = std::make_shared<TextStates>();
    t->len = len;
    return t;
  };
  const std::vector<CrossInput> batch = {{text(2), {}}, {text(1), {}}};
  const std::vector<float> logits = {10, 20, 11, 21, 12, 22};  // head, tail per text row
  const auto out = split_span_logits(logits.data(), batch);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].head, (std::vector<float>{10, 11}));
  EXPECT_EQ(out[0].tail, (std::vector<float>{20, 21}));
  EXPECT_EQ(out[1].head, (std::vector<float>{12}));
  EXPECT_EQ(out[1].tail, (std::vector<float>{22}));
}

}  // namespace
}  // namespace uninlu
