// The CPU backend on a tiny random model: each stage against a naive double-precision BERT, and the
// properties the serving layer relies on (batch invariance, hint deduplication, input validation).
#include "engine/cpu/cpu_backend.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <vector>

#include "core/error.h"
#include "test_model.h"

namespace uninlu {
namespace {

using test::max_abs_diff;

constexpr double kFp32Tolerance = 1e-4;

std::vector<std::int32_t> token_ids(int n, int seed) {
  std::vector<std::int32_t> ids{101};  // [CLS]
  for (int i = 1; i + 1 < n; ++i) ids.push_back(670 + (seed * 131 + i * 977) % 20000);
  if (n > 1) ids.push_back(102);  // [SEP]
  return ids;
}

class CpuBackendTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    config_ = new ModelConfig(test::tiny_config());
    weights_ = new SiameseWeights(test::random_weights(*config_, 42));
  }
  static void TearDownTestSuite() {
    delete weights_;
    delete config_;
  }
  static CpuBackend make(CpuBackendOptions options = {}) { return CpuBackend(*config_, *weights_, options); }
  static test::NaiveModel naive() { return test::NaiveModel(*config_, *weights_); }

  static ModelConfig* config_;
  static SiameseWeights* weights_;
};
ModelConfig* CpuBackendTest::config_ = nullptr;
SiameseWeights* CpuBackendTest::weights_ = nullptr;

TEST_F(CpuBackendTest, TextStageMatchesNaiveModelOnRaggedBatch) {
  CpuBackend backend = make();
  const std::vector<std::vector<std::int32_t>> windows = {token_ids(1, 1), token_ids(17, 2), token_ids(5, 3),
                                                          token_ids(64, 4)};
  std::vector<TextInput> batch;
  for (const auto& w : windows) batch.push_back({w});
  const auto states = backend.run_text(batch);
  ASSERT_EQ(states.size(), windows.size());
  for (std::size_t i = 0; i < windows.size(); ++i) {
    ASSERT_EQ(states[i]->len, static_cast<int>(windows[i].size()));
    ASSERT_EQ(states[i]->hidden, config_->hidden_size);
    const auto want = naive().text_states(windows[i], 0, 0);
    EXPECT_LT(max_abs_diff(states[i]->values, want), kFp32Tolerance) << "window " << i;
  }
}

TEST_F(CpuBackendTest, HintStageUsesTokenTypeOneAndOffsetPositions) {
  CpuBackend backend = make();
  const auto a = token_ids(6, 5), b = token_ids(9, 6);
  const std::vector<HintInput> batch = {{a, 17}, {b, 30}, {a, 0}};
  const auto states = backend.run_hint(batch);
  ASSERT_EQ(states.size(), 3u);
  EXPECT_LT(max_abs_diff(states[0].values, naive().text_states(a, 17, 1)), kFp32Tolerance);
  EXPECT_LT(max_abs_diff(states[1].values, naive().text_states(b, 30, 1)), kFp32Tolerance);
  EXPECT_LT(max_abs_diff(states[2].values, naive().text_states(a, 0, 1)), kFp32Tolerance);
}

TEST_F(CpuBackendTest, CrossStageMatchesNaiveModel) {
  CpuBackend backend = make();
  const std::vector<std::vector<std::int32_t>> texts = {token_ids(17, 7), token_ids(1, 8), token_ids(40, 9)};
  const std::vector<std::vector<std::int32_t>> hints = {token_ids(7, 10), token_ids(3, 11), token_ids(12, 12)};
  std::vector<TextInput> text_batch;
  for (const auto& t : texts) text_batch.push_back({t});
  const auto states = backend.run_text(text_batch);
  // Every text with every hint, position offset = a padded window length >= the text length.
  std::vector<CrossInput> batch;
  std::vector<std::pair<std::size_t, std::size_t>> pairs;
  for (std::size_t t = 0; t < texts.size(); ++t) {
    for (std::size_t h = 0; h < hints.size(); ++h) {
      batch.push_back({states[t], {hints[h], static_cast<int>(texts[t].size()) + static_cast<int>(h)}});
      pairs.emplace_back(t, h);
    }
  }
  const auto logits = backend.run_cross(batch);
  ASSERT_EQ(logits.size(), batch.size());
  for (std::size_t i = 0; i < batch.size(); ++i) {
    const auto& text = texts[pairs[i].first];
    const auto& hint = hints[pairs[i].second];
    const auto text_states = naive().text_states(text, 0, 0);
    const auto hint_states = naive().text_states(hint, batch[i].hint.position_offset, 1);
    std::vector<double> head, tail;
    naive().cross_logits(text_states, static_cast<int>(text.size()), hint_states, static_cast<int>(hint.size()), head,
                         tail);
    ASSERT_EQ(logits[i].head.size(), text.size());
    EXPECT_LT(max_abs_diff(logits[i].head, head), kFp32Tolerance) << "item " << i;
    EXPECT_LT(max_abs_diff(logits[i].tail, tail), kFp32Tolerance) << "item " << i;
  }
}

// A sequence's result must not depend on its neighbours: batch of one vs inside a batch of many.
TEST_F(CpuBackendTest, ResultsDoNotDependOnTheRestOfTheBatch) {
  CpuBackend backend = make();
  const auto text = token_ids(17, 13);
  const auto hint = token_ids(7, 14);
  const auto alone = backend.run_text(std::vector<TextInput>{{text}});
  std::vector<std::vector<std::int32_t>> others;
  for (int i = 0; i < 9; ++i) others.push_back(token_ids(3 + 11 * i, 20 + i));
  std::vector<TextInput> many;
  for (std::size_t i = 0; i < others.size(); ++i) {
    many.push_back({others[i]});
    if (i == 4) many.push_back({text});
  }
  const auto in_batch = backend.run_text(many);
  const auto& together = *in_batch[5];
  ASSERT_EQ(together.values.size(), alone[0]->values.size());
  for (std::size_t i = 0; i < together.values.size(); ++i) ASSERT_NEAR(together.values[i], alone[0]->values[i], 1e-5);

  const auto single = backend.run_cross(std::vector<CrossInput>{{alone[0], {hint, 17}}});
  std::vector<std::vector<std::int32_t>> other_hints;
  for (std::size_t i = 0; i < in_batch.size(); ++i) other_hints.push_back(token_ids(5 + static_cast<int>(i), 40));
  std::vector<CrossInput> cross_many;
  for (std::size_t i = 0; i < in_batch.size(); ++i) cross_many.push_back({in_batch[i], {other_hints[i], 400}});
  cross_many.insert(cross_many.begin() + 3, CrossInput{alone[0], {hint, 17}});
  const auto batched = backend.run_cross(cross_many);
  for (std::size_t j = 0; j < text.size(); ++j) {
    EXPECT_NEAR(batched[3].head[j], single[0].head[j], 1e-5);
    EXPECT_NEAR(batched[3].tail[j], single[0].tail[j], 1e-5);
  }
}

TEST_F(CpuBackendTest, DeduplicatedHintsGiveTheSameLogits) {
  CpuBackendOptions no_cache;
  no_cache.hint_cache_bytes = 0;  // deduplication within the batch only
  CpuBackend dedup = make(no_cache);
  CpuBackendOptions options = no_cache;
  options.deduplicate_hints = false;
  CpuBackend plain = make(options);
  const auto texts =
      dedup.run_text(std::vector<TextInput>{{token_ids(17, 50)}, {token_ids(17, 51)}, {token_ids(9, 52)}});
  const auto company = token_ids(7, 60), place = token_ids(9, 61);
  // The load-test pattern: the same two hints at the same offset for every text, plus a same-hint
  // different-offset pair that must not be merged.
  const std::vector<CrossInput> batch = {{texts[0], {company, 17}}, {texts[0], {place, 17}},
                                         {texts[1], {company, 17}}, {texts[1], {place, 17}},
                                         {texts[2], {company, 17}}, {texts[2], {company, 9}}};
  const auto a = dedup.run_cross(batch);
  const auto b = plain.run_cross(batch);
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    ASSERT_EQ(a[i].head.size(), b[i].head.size());
    for (std::size_t j = 0; j < a[i].head.size(); ++j) {
      EXPECT_NEAR(a[i].head[j], b[i].head[j], 1e-5) << i;
      EXPECT_NEAR(a[i].tail[j], b[i].tail[j], 1e-5) << i;
    }
  }
  // Offsets differ: item 5's logits must differ from what offset 17 gives for the same text and hint.
  const auto at17 = plain.run_cross(std::vector<CrossInput>{{texts[2], {company, 17}}});
  double diff = 0;
  for (std::size_t j = 0; j < at17[0].head.size(); ++j)
    diff = std::max(diff, std::abs(static_cast<double>(at17[0].head[j] - a[5].head[j])));
  EXPECT_GT(diff, 1e-4);
}

// Hint states kept from an earlier call give the logits a fresh computation gives.
TEST_F(CpuBackendTest, CachedHintStatesGiveTheSameLogits) {
  CpuBackend cached = make();
  CpuBackendOptions options;
  options.hint_cache_bytes = 0;
  CpuBackend fresh = make(options);
  const auto ids = token_ids(17, 100), other = token_ids(12, 101);
  const auto company = token_ids(5, 102), place = token_ids(7, 103);
  const auto first = cached.run_text(std::vector<TextInput>{{ids}});
  cached.run_cross(std::vector<CrossInput>{{first[0], {company, 17}}, {first[0], {place, 17}}});
  // Second call: both hints come from the cache, next to a new one.
  const auto texts = cached.run_text(std::vector<TextInput>{{other}, {ids}});
  const std::vector<CrossInput> batch = {{texts[0], {place, 17}}, {texts[1], {company, 17}}, {texts[0], {ids, 20}}};
  const auto a = cached.run_cross(batch);
  const auto b = fresh.run_cross(batch);
  for (std::size_t i = 0; i < a.size(); ++i) {
    for (std::size_t j = 0; j < a[i].head.size(); ++j) {
      EXPECT_NEAR(a[i].head[j], b[i].head[j], 1e-5) << i;
      EXPECT_NEAR(a[i].tail[j], b[i].tail[j], 1e-5) << i;
    }
  }
  EXPECT_NE(cached.describe().find("2 hits"), std::string::npos) << cached.describe();
  const auto hints = cached.run_hint(std::vector<HintInput>{{company, 17}});
  EXPECT_LT(max_abs_diff(hints[0].values, naive().text_states(company, 17, 1)), kFp32Tolerance);
}

TEST_F(CpuBackendTest, ThreadCountDoesNotChangeResults) {
  CpuBackendOptions one;
  one.threads = 1;
  CpuBackend serial = make(one);
  CpuBackendOptions two;
  two.threads = 2;
  CpuBackend parallel = make(two);
  const auto ids = token_ids(300, 70);
  const auto a = serial.run_text(std::vector<TextInput>{{ids}});
  const auto b = parallel.run_text(std::vector<TextInput>{{ids}});
  for (std::size_t i = 0; i < a[0]->values.size(); ++i) ASSERT_NEAR(a[0]->values[i], b[0]->values[i], 1e-5);
}

// The workspace is reused: a small batch after a large one must not see stale rows.
TEST_F(CpuBackendTest, WorkspaceReuseAcrossBatchSizes) {
  CpuBackend backend = make();
  const auto small = token_ids(4, 80);
  const auto first = backend.run_text(std::vector<TextInput>{{small}});
  std::vector<std::vector<std::int32_t>> big;
  for (int i = 0; i < 6; ++i) big.push_back(token_ids(100, 81 + i));
  std::vector<TextInput> batch;
  for (const auto& b : big) batch.push_back({b});
  backend.run_text(batch);
  const auto again = backend.run_text(std::vector<TextInput>{{small}});
  for (std::size_t i = 0; i < first[0]->values.size(); ++i) ASSERT_NEAR(first[0]->values[i], again[0]->values[i], 1e-6);
}

TEST_F(CpuBackendTest, EmptyBatchesGiveEmptyResults) {
  CpuBackend backend = make();
  EXPECT_TRUE(backend.run_text({}).empty());
  EXPECT_TRUE(backend.run_hint({}).empty());
  EXPECT_TRUE(backend.run_cross({}).empty());
}

void expect_invalid(const std::function<void()>& call, const char* what) {
  try {
    call();
    ADD_FAILURE() << what << ": no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::InvalidInput) << what << ": " << e.what();
  }
}

TEST_F(CpuBackendTest, InvalidInputsAreRejectedBeforeAnyRead) {
  CpuBackend backend = make();
  const std::vector<std::int32_t> out_of_vocab = {101, config_->vocab_size, 102};
  const std::vector<std::int32_t> negative = {101, -1, 102};
  const std::vector<std::int32_t> empty;
  const std::vector<std::int32_t> too_long(static_cast<std::size_t>(config_->max_position_embeddings) + 1, 100);
  const auto ok = token_ids(5, 90);
  expect_invalid([&] { backend.run_text(std::vector<TextInput>{{ok}, {out_of_vocab}}); }, "id == vocab size");
  expect_invalid([&] { backend.run_text(std::vector<TextInput>{{negative}}); }, "negative id");
  expect_invalid([&] { backend.run_text(std::vector<TextInput>{{empty}}); }, "empty window");
  expect_invalid([&] { backend.run_text(std::vector<TextInput>{{too_long}}); }, "window past max positions");
  expect_invalid(
      [&] {
        backend.run_hint(std::vector<HintInput>{{ok, config_->max_position_embeddings - 4}});
      },
      "hint past max positions");
  expect_invalid([&] { backend.run_hint(std::vector<HintInput>{{ok, -1}}); }, "negative offset");

  const auto text = backend.run_text(std::vector<TextInput>{{ok}})[0];
  expect_invalid([&] { backend.run_cross(std::vector<CrossInput>{{nullptr, {ok, 5}}}); }, "no text states");
  expect_invalid([&] { backend.run_cross(std::vector<CrossInput>{{text, {ok, 4}}}); }, "offset inside the window");
  expect_invalid([&] { backend.run_cross(std::vector<CrossInput>{{text, {out_of_vocab, 5}}}); }, "hint id");
  auto wrong = std::make_shared<TextStates>(*text);
  wrong->values.pop_back();
  expect_invalid([&] { backend.run_cross(std::vector<CrossInput>{{wrong, {ok, 5}}}); }, "values size");
  auto wrong_width = std::make_shared<TextStates>(*text);
  wrong_width->hidden = 16;
  wrong_width->len = 10;
  expect_invalid([&] { backend.run_cross(std::vector<CrossInput>{{wrong_width, {ok, 10}}}); }, "hidden size");
  // Still usable after rejected calls.
  EXPECT_EQ(backend.run_cross(std::vector<CrossInput>{{text, {ok, 5}}})[0].head.size(), ok.size());
}

TEST_F(CpuBackendTest, UnsupportedOptionsAreUsageErrors) {
  for (Precision p : {Precision::F16}) {
    CpuBackendOptions options;
    options.precision = p;
    try {
      make(options);
      ADD_FAILURE() << precision_name(p) << " accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::Usage) << e.what();
    }
  }
  CpuBackendOptions negative;
  negative.threads = -2;
  EXPECT_THROW(make(negative), Error);
}

TEST_F(CpuBackendTest, WeightsThatDisagreeWithTheConfigAreModelLoadErrors) {
  SiameseWeights broken = *weights_;
  broken.cross_layers.pop_back();
  try {
    CpuBackend backend(*config_, broken);
    ADD_FAILURE() << "5 cross layers accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::ModelLoad) << e.what();
  }
  SiameseWeights wrong_shape = *weights_;
  wrong_shape.text_layers[2].intermediate.bias = HostTensor::zeros(DType::F32, {63});
  EXPECT_THROW(CpuBackend(*config_, wrong_shape).name(), Error);
}

TEST_F(CpuBackendTest, FactoryAndIdentity) {
  auto backend = make_cpu_backend(*config_, *weights_, {});
  EXPECT_EQ(backend->name(), "cpu");
  EXPECT_EQ(backend->precision(), Precision::F32);
}

// bf16 (and int8) weights and activations: the logits move, but within the precision's error bound
// (test::reduced_precision_drift_bound: rms drift relative to the rms of the fp32 logits).
class ReducedPrecisionTest : public CpuBackendTest, public ::testing::WithParamInterface<Precision> {};

TEST_P(ReducedPrecisionTest, StaysCloseToFp32) {
  CpuBackend fp32 = make();
  CpuBackendOptions options;
  options.precision = GetParam();
  std::unique_ptr<CpuBackend> reduced;
  try {
    reduced = std::make_unique<CpuBackend>(*config_, *weights_, options);
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::Usage) GTEST_SKIP() << "not available on this CPU: " << e.what();
    throw;
  }
  CpuBackend& bf16 = *reduced;
  EXPECT_EQ(bf16.precision(), GetParam());
  const auto text = token_ids(30, 91), hint = token_ids(7, 92);
  const auto a =
      fp32.run_cross(std::vector<CrossInput>{{fp32.run_text(std::vector<TextInput>{{text}})[0], {hint, 30}}});
  const auto b =
      bf16.run_cross(std::vector<CrossInput>{{bf16.run_text(std::vector<TextInput>{{text}})[0], {hint, 30}}});
  double worst = 0;
  std::vector<double> reference, drift;
  for (std::size_t j = 0; j < text.size(); ++j) {
    for (const auto* logits : {&a[0].head, &a[0].tail}) {
      const auto& other = logits == &a[0].head ? b[0].head : b[0].tail;
      reference.push_back((*logits)[j]);
      drift.push_back(static_cast<double>(other[j]) - (*logits)[j]);
      worst = std::max(worst, std::abs(drift.back()));
    }
  }
  const double relative = test::rms(drift) / test::rms(reference);
  const double bound = test::reduced_precision_drift_bound(GetParam(), *config_);
  RecordProperty("max_abs_logit_diff", std::to_string(worst));
  RecordProperty("relative_rms_drift", std::to_string(relative));
  std::printf("%s: relative rms logit drift %.4g (bound %.4g), max abs %.4g\n", bf16.describe().c_str(), relative,
              bound, worst);
  EXPECT_LE(relative, bound);
  EXPECT_GT(worst, 0.0);  // it really ran in reduced precision
}

INSTANTIATE_TEST_SUITE_P(Precisions, ReducedPrecisionTest, ::testing::Values(Precision::BF16, Precision::Int8),
                         [](const auto& param_info) { return std::string(precision_name(param_info.param)); });

}  // namespace
}  // namespace uninlu
