// Merging and decoding from given logits (no model): the reference's decode_cases.jsonl.
#include <gtest/gtest.h>

#include "core/utf8.h"
#include "golden_support.h"
#include "pipeline/span_decoder.h"

namespace uninlu {
namespace {

TEST(DecodeGolden, EveryCaseDecodesLikeTheReference) {
  const auto cases = testing::read_jsonl(testing::goldens_dir() + "/decode_cases.jsonl");
  ASSERT_GE(cases.size(), 50u) << "goldens missing: run ctest (it generates them) or tools/make_goldens.py";
  std::size_t spans = 0;
  bool saw_real_model_example = false;
  for (const auto& c : cases) {
    SCOPED_TRACE(c["name"].get<std::string>());
    const std::string text = c["text"];
    std::vector<std::pair<std::int32_t, std::int32_t>> offsets;
    for (const auto& o : c["offsets"]) offsets.emplace_back(o[0].get<int>(), o[1].get<int>());
    std::vector<std::vector<float>> heads, tails;
    for (const auto& w : c["windows"]) {
      heads.push_back(w["head"].get<std::vector<float>>());
      tails.push_back(w["tail"].get<std::vector<float>>());
    }
    std::vector<WindowLogits> windows;
    for (std::size_t i = 0; i < heads.size(); ++i) windows.push_back({c["windows"][i]["shift"].get<int>(), heads[i], tails[i]});
    const MergedLogits merged = merge_window_logits(c["n_tokens"].get<int>(), windows);
    const auto decoded = decode_spans(merged, offsets);
    const auto byte_offsets = codepoint_byte_offsets(text);
    const auto& expected = c["expected_spans"];
    ASSERT_EQ(decoded.size(), expected.size());
    for (std::size_t i = 0; i < decoded.size(); ++i) {
      EXPECT_EQ(decoded[i].begin, expected[i]["offset"][0].get<int>()) << "span " << i;
      EXPECT_EQ(decoded[i].end, expected[i]["offset"][1].get<int>()) << "span " << i;
      EXPECT_EQ(slice_codepoints(text, byte_offsets, decoded[i].begin, decoded[i].end),
                expected[i]["span"].get<std::string>());
    }
    spans += decoded.size();
    for (const auto& e : expected) saw_real_model_example |= e["span"] == "名古屋铁道" && e["offset"][0] == 11;
  }
  EXPECT_GT(spans, 100u);
  EXPECT_TRUE(saw_real_model_example) << "the spec's real-model example is missing from the decode cases";
}

}  // namespace
}  // namespace uninlu
