// The null device (engine/null): its logits pattern, determinism, and how `device: "null"` is created.
#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "engine/null/null_backend.h"
#include "golden_support.h"
#include "model/model_dir.h"
#include "pipeline/run_task.h"
#include "serving/device_factory.h"

namespace uninlu {
namespace {

const BertTokenizer& tokenizer() {
  static const BertTokenizer tok(
      std::make_shared<const Vocab>(Vocab::load(UNINLU_SOURCE_DIR "/data/vocab/bert-base-chinese-vocab.txt")));
  return tok;
}

TEST(NullBackend, TextStatesHaveTheWindowsLengthAndTheModelsWidth) {
  auto backend = make_null_backend(48);
  const std::vector<std::int32_t> a = {101, 1, 2, 3, 102}, b = {101, 7, 102};
  const std::vector<TextInput> batch = {{a}, {b}};
  const auto states = backend->run_text(batch);
  ASSERT_EQ(states.size(), 2U);
  EXPECT_EQ(states[0]->len, 5);
  EXPECT_EQ(states[0]->hidden, 48);
  EXPECT_EQ(states[0]->values.size(), 5U * 48U);
  EXPECT_EQ(states[1]->len, 3);
  EXPECT_EQ(states[1]->values.size(), 3U * 48U);
  const auto hints = backend->run_hint(std::vector<HintInput>{{b, 4}});
  ASSERT_EQ(hints.size(), 1U);
  EXPECT_EQ(hints[0].len, 3);
  EXPECT_EQ(backend->name(), "null");
}

TEST(NullBackend, CrossLogitsFollowThePatternOnRealTokensOnly) {
  auto backend = make_null_backend(8);
  const std::vector<std::int32_t> text(20, 5), hint = {101, 42, 43, 102};
  auto states = backend->run_text(std::vector<TextInput>{{text}});
  const int phase = null_span_phase(hint);
  ASSERT_GE(phase, 0);
  ASSERT_LT(phase, kNullSpanPeriod);
  const auto logits = backend->run_cross(std::vector<CrossInput>{{states[0], {hint, 20}}});
  ASSERT_EQ(logits.size(), 1U);
  ASSERT_EQ(logits[0].head.size(), 20U);
  ASSERT_EQ(logits[0].tail.size(), 20U);
  int heads = 0;
  for (int p = 0; p < 20; ++p) {
    const bool real = p >= 1 && p <= 18;
    const bool head = real && (p - 1) % kNullSpanPeriod == phase;
    const bool tail = real && (p - 1) % kNullSpanPeriod == (phase + 1) % kNullSpanPeriod;
    EXPECT_EQ(logits[0].head[static_cast<std::size_t>(p)], head ? kNullHit : kNullMiss) << p;
    EXPECT_EQ(logits[0].tail[static_cast<std::size_t>(p)], tail ? kNullHit : kNullMiss) << p;
    heads += head ? 1 : 0;
  }
  EXPECT_GE(heads, 2);  // 18 real tokens, period 8: at least two spans start
}

TEST(NullBackend, IsDeterministicAndThePhaseDependsOnTheHint) {
  auto backend = make_null_backend(8);
  const std::vector<std::int32_t> text(30, 5);
  auto states = backend->run_text(std::vector<TextInput>{{text}});
  std::vector<int> phases;
  for (std::int32_t id = 0; id < 16; ++id) {
    const std::vector<std::int32_t> hint = {101, id, 102};
    const std::vector<CrossInput> batch = {{states[0], {hint, 30}}};
    const auto first = backend->run_cross(batch);
    const auto again = backend->run_cross(batch);
    EXPECT_EQ(first[0].head, again[0].head);
    EXPECT_EQ(first[0].tail, again[0].tail);
    phases.push_back(null_span_phase(hint));
  }
  // 16 hints over 8 phases: a constant phase would mean every prompt answers the same spans.
  std::sort(phases.begin(), phases.end());
  EXPECT_GT(std::unique(phases.begin(), phases.end()) - phases.begin(), 1);
}

TEST(NullBackend, RefusesANonPositiveWidth) {
  try {
    make_null_backend(0);
    ADD_FAILURE() << "expected Error(Usage)";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Usage);
  }
}

TEST(NullBackend, DrivesThePipelineThroughNestedLevels) {
  auto backend = make_null_backend(48);
  Schema schema = Schema::from_json(nlohmann::ordered_json::parse(R"({"公司":{"地点":null},"地理位置":null})"), {});
  PredictionTask task(tokenizer(), "华为在东莞松山湖建设了研发基地", std::move(schema), false, {});
  run_task(*backend, task);
  const auto results = task.results();
  ASSERT_FALSE(results.empty());
  bool nested = false;
  for (const auto& chain : results) nested = nested || chain.size() == 2;
  EXPECT_TRUE(nested);
  EXPECT_EQ(task.cross_steps(), 2);
}

TEST(NullDevice, IsItsOwnDeviceSpec) {
  const DeviceSpec spec = parse_device_spec("null");
  EXPECT_TRUE(spec.use_null);
  EXPECT_FALSE(spec.all_gpus);
}

TEST(NullDevice, IsTheOnlyDeviceWhenAsked) {
  const ModelDir model = load_model_dir(testing::tiny_model_dir());
  ServiceOptions options;
  options.device = "null";
  const auto devices = create_devices(options, model);
  ASSERT_EQ(devices.size(), 1U);
  EXPECT_EQ(devices[0]->name, "null");
  EXPECT_FALSE(devices[0]->is_gpu);
  EXPECT_EQ(devices[0]->backend->name(), "null");
}

}  // namespace
}  // namespace uninlu
