// The CUDA backend against the CPU backend (fp32) on a tiny random model: each stage, the properties the
// serving layer relies on (batch invariance, hint deduplication and cache, input validation), fault
// injection and recovery, and the layer split. Tolerances against the CPU's fp32:
//   fp32: 1e-4 (same math, different summation orders; the CPU engine is itself within 1e-4 of PyTorch);
//   fp16 / bf16: loose sanity bounds on states and logits (0.05 / 0.25 absolute: 16-bit GEMM inputs carry
//   2^-11 / 2^-8 relative rounding through 12 layers; the CPU's bf16 path measured 0.04 on the tiny
//   fixture). The accuracy criterion for them is span-level (golden_gpu_test.cc).
#include "engine/cuda/cuda_backend.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <vector>

#include "core/error.h"
#include "engine/cpu/cpu_backend.h"
#include "gpu_test_support.h"
#include "kernels/cuda/cuda_error.h"
#include "model/model_dir.h"
#include "poison_kernel.h"
#include "test_model.h"

namespace uninlu {
namespace {

std::vector<std::int32_t> token_ids(int n, int seed) {
  std::vector<std::int32_t> ids{101};
  for (int i = 1; i + 1 < n; ++i) ids.push_back(670 + (seed * 131 + i * 977) % 20000);
  if (n > 1) ids.push_back(102);
  return ids;
}

double tolerance(Precision p) {
  switch (p) {
    case Precision::F32: return 1e-4;
    case Precision::F16: return 0.05;
    case Precision::BF16: return 0.25;
    case Precision::Int8: break;
  }
  return 0;
}

double max_diff(const std::vector<float>& a, const std::vector<float>& b) { return gpu_test::max_abs_diff(a, b); }

// Two runs of the same model and precision that differ only in how their GEMMs round: a different row
// count (batching, hint deduplication) can pick another cuBLASLt algorithm, i.e. another fp32 summation
// order. To first order each GEMM output then moves by at most k*u32*sum|a||b| (k the reduction length,
// u32 = 2^-24), and each activation rounded to the 16-bit GEMM type may land on its other neighbour, a
// relative change of up to u (2^-11 fp16, 2^-8 bf16). Over `layers` layers with kRoundings such roundings
// each (QKV, attention output, FFN1 after GELU, FFN2, the layernorm's low copy), an output of magnitude
// |y| moves by at most about layers * (kRoundings * u + k * u32) * |y| (worst case: no cancellation).
double rounding_rearrangement_bound(Precision p, const ModelConfig& config, int layers, double magnitude) {
  constexpr int kRoundings = 5;
  const double u = p == Precision::F16 ? std::ldexp(1.0, -11) : p == Precision::BF16 ? std::ldexp(1.0, -8) : 0.0;
  const double k = static_cast<double>(std::max(config.hidden_size, config.intermediate_size));
  const double u32 = std::ldexp(1.0, -24);
  return static_cast<double>(layers) * (kRoundings * u + k * u32) * std::max(1.0, magnitude);
}

double max_abs(const std::vector<float>& v) {
  double m = 0;
  for (float x : v) m = std::max(m, std::abs(static_cast<double>(x)));
  return m;
}

class CudaBackendGpu : public ::testing::TestWithParam<Precision> {
 protected:
  void SetUp() override {
    UNINLU_REQUIRE_GPU();
    config_ = test::tiny_config();
    weights_ = test::random_weights(config_, 42);
    cpu_ = std::make_unique<CpuBackend>(config_, weights_, CpuBackendOptions{Precision::F32, 1});
  }
  std::unique_ptr<CudaBackend> make(CudaBackendOptions options = {}) {
    options.precision = GetParam();
    if (!options.fault_injection) options.fault_injection = "";  // tests control injection themselves
    return std::make_unique<CudaBackend>(config_, weights_, options);
  }
  // Text states from the CPU, so both backends' cross stages see the same inputs.
  std::vector<std::shared_ptr<const TextStates>> cpu_text(const std::vector<std::vector<std::int32_t>>& windows) {
    std::vector<TextInput> batch;
    for (const auto& w : windows) batch.push_back({w});
    return cpu_->run_text(batch);
  }

  ModelConfig config_;
  SiameseWeights weights_;
  std::unique_ptr<CpuBackend> cpu_;
};

TEST_P(CudaBackendGpu, TextStageMatchesCpuOnRaggedBatch) {
  auto gpu = make();
  const std::vector<std::vector<std::int32_t>> windows = {token_ids(1, 1), token_ids(17, 2), token_ids(5, 3),
                                                          token_ids(64, 4), token_ids(384, 5)};
  std::vector<TextInput> batch;
  for (const auto& w : windows) batch.push_back({w});
  const auto want = cpu_->run_text(batch);
  const auto got = gpu->run_text(batch);
  ASSERT_EQ(got.size(), windows.size());
  double worst = 0;
  for (std::size_t i = 0; i < windows.size(); ++i) {
    ASSERT_EQ(got[i]->len, static_cast<int>(windows[i].size()));
    ASSERT_EQ(got[i]->hidden, config_.hidden_size);
    worst = std::max(worst, max_diff(got[i]->values, want[i]->values));
  }
  std::printf("text stage %s: max |gpu - cpu fp32| %.3g\n", precision_name(GetParam()), worst);
  EXPECT_LT(worst, tolerance(GetParam()));
}

TEST_P(CudaBackendGpu, HintStageMatchesCpuWithDuplicatesAndOffsets) {
  auto gpu = make();
  const auto a = token_ids(6, 7), b = token_ids(1, 8), c = token_ids(128, 9);
  const std::vector<HintInput> hints = {{a, 17}, {b, 5}, {a, 17}, {c, 384}, {a, 18}, {b, 5}};
  const auto want = cpu_->run_hint(hints);
  const auto got = gpu->run_hint(hints);
  ASSERT_EQ(got.size(), hints.size());
  double worst = 0;
  for (std::size_t i = 0; i < hints.size(); ++i) {
    ASSERT_EQ(got[i].len, static_cast<int>(hints[i].ids.size()));
    worst = std::max(worst, max_diff(got[i].values, want[i].values));
  }
  std::printf("hint stage %s: max |gpu - cpu fp32| %.3g\n", precision_name(GetParam()), worst);
  EXPECT_LT(worst, tolerance(GetParam()));
  // Again: now every hint comes from the hint cache.
  const auto cached = gpu->run_hint(hints);
  for (std::size_t i = 0; i < hints.size(); ++i) EXPECT_LT(max_diff(cached[i].values, got[i].values), 1e-6);
}

TEST_P(CudaBackendGpu, CrossStageMatchesCpu) {
  auto gpu = make();
  const auto texts = cpu_text({token_ids(17, 11), token_ids(384, 12), token_ids(1, 13)});
  const auto h1 = token_ids(5, 21), h2 = token_ids(7, 22), h3 = token_ids(128, 23);
  // Several prompts per text (they share its states), repeated hints (deduplicated), the longest item.
  const std::vector<CrossInput> batch = {{texts[0], {h1, 17}}, {texts[0], {h2, 17}}, {texts[1], {h1, 384}},
                                         {texts[1], {h3, 384}}, {texts[2], {h1, 1}},  {texts[0], {h1, 17}}};
  const auto want = cpu_->run_cross(batch);
  const auto got = gpu->run_cross(batch);
  ASSERT_EQ(got.size(), batch.size());
  double worst = 0;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    ASSERT_EQ(got[i].head.size(), static_cast<std::size_t>(batch[i].text->len));
    ASSERT_EQ(got[i].tail.size(), static_cast<std::size_t>(batch[i].text->len));
    worst = std::max({worst, max_diff(got[i].head, want[i].head), max_diff(got[i].tail, want[i].tail)});
  }
  std::printf("cross stage %s: max |gpu - cpu fp32| logit %.3g\n", precision_name(GetParam()), worst);
  EXPECT_LT(worst, tolerance(GetParam()));
}

TEST_P(CudaBackendGpu, HintCacheAndDeduplicationDoNotChangeResults) {
  CudaBackendOptions plain;
  plain.deduplicate_hints = false;
  plain.hint_cache_bytes = 0;
  auto reference = make(plain);
  auto gpu = make();
  const auto texts = cpu_text({token_ids(17, 31), token_ids(40, 32)});
  const auto h = token_ids(6, 33);
  const std::vector<CrossInput> batch = {{texts[0], {h, 17}}, {texts[1], {h, 40}}, {texts[0], {h, 17}}};
  const auto want = reference->run_cross(batch);
  // Deduplication changes the hint stage's row count (and so maybe its GEMM algorithms): not bitwise.
  // The hint stage's text layers and the cross layers: all of the model's layers.
  const int layers = config_.num_hidden_layers;
  for (int round = 0; round < 3; ++round) {  // round 0 computes the hints, later rounds hit the cache
    const auto got = gpu->run_cross(batch);
    for (std::size_t i = 0; i < batch.size(); ++i) {
      const double bound = rounding_rearrangement_bound(
          GetParam(), config_, layers, std::max(max_abs(want[i].head), max_abs(want[i].tail)));
      EXPECT_LT(max_diff(got[i].head, want[i].head), bound) << "round " << round;
      EXPECT_LT(max_diff(got[i].tail, want[i].tail), bound) << "round " << round;
    }
  }
}

TEST_P(CudaBackendGpu, ResultsDoNotDependOnTheBatch) {
  auto gpu = make();
  const auto texts = cpu_text({token_ids(23, 41)});
  const auto h = token_ids(5, 42);
  const auto alone = gpu->run_cross(std::vector<CrossInput>{{texts[0], {h, 23}}});
  std::vector<CrossInput> batch;
  const auto others = cpu_text({token_ids(30, 43), token_ids(200, 44)});
  for (int i = 0; i < 10; ++i) batch.push_back({others[static_cast<std::size_t>(i % 2)], {h, 200}});
  batch.insert(batch.begin() + 4, {texts[0], {h, 23}});
  const auto together = gpu->run_cross(batch);
  // Different row counts pick different GEMM algorithms: not bitwise, but within the rounding bound.
  const double bound = rounding_rearrangement_bound(GetParam(), config_, config_.num_hidden_layers,
                                                    std::max(max_abs(alone[0].head), max_abs(alone[0].tail)));
  EXPECT_LT(max_diff(together[4].head, alone[0].head), bound);
  EXPECT_LT(max_diff(together[4].tail, alone[0].tail), bound);
}

TEST_P(CudaBackendGpu, ArenaGrowsForABatchLargerThanReserved) {
  CudaBackendOptions small;
  small.reserve_tokens = 8;
  auto gpu = make(small);
  const std::vector<std::vector<std::int32_t>> windows = {token_ids(384, 51), token_ids(384, 52), token_ids(300, 53)};
  std::vector<TextInput> batch;
  for (const auto& w : windows) batch.push_back({w});
  const auto got = gpu->run_text(batch);
  const auto want = cpu_->run_text(batch);
  for (std::size_t i = 0; i < windows.size(); ++i) {
    EXPECT_LT(max_diff(got[i]->values, want[i]->values), tolerance(GetParam()));
  }
  // A small batch after the large one reuses the grown arena.
  const auto again = gpu->run_text(std::vector<TextInput>{batch[2]});
  EXPECT_LT(max_diff(again[0]->values, want[2]->values), tolerance(GetParam()));
}

TEST_P(CudaBackendGpu, InputErrorsAreInvalidInputAndLeaveTheBackendUsable) {
  auto gpu = make();
  const std::vector<std::int32_t> empty, good = token_ids(5, 61), bad_id = {101, 21128, 102};
  const auto expect_invalid = [](auto&& call) {
    try {
      call();
      ADD_FAILURE() << "no error";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::InvalidInput) << e.what();
    }
  };
  expect_invalid([&] { gpu->run_text(std::vector<TextInput>{{empty}}); });
  expect_invalid([&] { gpu->run_text(std::vector<TextInput>{{bad_id}}); });
  expect_invalid([&] { gpu->run_hint(std::vector<HintInput>{{good, 510}}); });
  expect_invalid([&] { gpu->run_hint(std::vector<HintInput>{{good, -1}}); });
  const auto texts = cpu_text({good});
  expect_invalid([&] { gpu->run_cross(std::vector<CrossInput>{{texts[0], {good, 2}}}); });  // offset inside the text
  auto wrong = std::make_shared<TextStates>(*texts[0]);
  wrong->hidden = 16;
  expect_invalid([&] { gpu->run_cross(std::vector<CrossInput>{{wrong, {good, 5}}}); });
  expect_invalid([&] { gpu->run_cross(std::vector<CrossInput>{{nullptr, {good, 5}}}); });
  EXPECT_TRUE(gpu->run_text({}).empty());
  EXPECT_TRUE(gpu->run_cross({}).empty());
  EXPECT_TRUE(gpu->run_hint({}).empty());
  const auto ok = gpu->run_text(std::vector<TextInput>{{good}});
  EXPECT_LT(max_diff(ok[0]->values, texts[0]->values), tolerance(GetParam()));
}

INSTANTIATE_TEST_SUITE_P(Precisions, CudaBackendGpu, ::testing::Values(Precision::F32, Precision::F16, Precision::BF16),
                         [](const auto& param_info) { return std::string(precision_name(param_info.param)); });

// ---- the tiny fixture model (tools/make_fixture.py), as the goldens use it --------------------------------

class FixtureModelGpu : public ::testing::TestWithParam<Precision> {};

TEST_P(FixtureModelGpu, EveryStageMatchesTheCpu) {
  UNINLU_REQUIRE_GPU();
  const std::string dir = UNINLU_FIXTURES_DIR "/models/tiny";
  if (!std::filesystem::exists(dir + "/config.json")) GTEST_SKIP() << dir << " missing: run ctest (it generates it)";
  const ModelDir model = load_model_dir(dir);
  CpuBackend cpu(model.config, model.weights, CpuBackendOptions{Precision::F32, 0});
  CudaBackendOptions options;
  options.precision = GetParam();
  options.fault_injection = "";
  CudaBackend gpu(model.config, model.weights, options);
  const auto w1 = token_ids(17, 71), w2 = token_ids(384, 72), w3 = token_ids(2, 73);
  const std::vector<TextInput> windows = {{w1}, {w2}, {w3}};
  const auto want_text = cpu.run_text(windows);
  const auto got_text = gpu.run_text(windows);
  double text_diff = 0;
  for (std::size_t i = 0; i < windows.size(); ++i) text_diff = std::max(text_diff, max_diff(got_text[i]->values, want_text[i]->values));
  const auto h1 = token_ids(6, 74), h2 = token_ids(128, 75);
  const std::vector<HintInput> hints = {{h1, 17}, {h2, 384}, {h1, 384}};
  const auto want_hint = cpu.run_hint(hints);
  const auto got_hint = gpu.run_hint(hints);
  double hint_diff = 0;
  for (std::size_t i = 0; i < hints.size(); ++i) hint_diff = std::max(hint_diff, max_diff(got_hint[i].values, want_hint[i].values));
  // Both cross stages on the CPU's text states, so only the cross stage itself is compared.
  const std::vector<CrossInput> cross = {{want_text[0], {h1, 17}}, {want_text[1], {h2, 384}}, {want_text[2], {h1, 2}}};
  const auto want = cpu.run_cross(cross);
  const auto got = gpu.run_cross(cross);
  double logit_diff = 0;
  for (std::size_t i = 0; i < cross.size(); ++i) {
    logit_diff = std::max({logit_diff, max_diff(got[i].head, want[i].head), max_diff(got[i].tail, want[i].tail)});
  }
  std::printf("fixture model %s: max |gpu - cpu fp32| text %.3g, hint %.3g, logits %.3g\n", precision_name(GetParam()),
              text_diff, hint_diff, logit_diff);
  EXPECT_LT(text_diff, tolerance(GetParam()));
  EXPECT_LT(hint_diff, tolerance(GetParam()));
  EXPECT_LT(logit_diff, tolerance(GetParam()));
}

INSTANTIATE_TEST_SUITE_P(Precisions, FixtureModelGpu, ::testing::Values(Precision::F32, Precision::F16, Precision::BF16),
                         [](const auto& param_info) { return std::string(precision_name(param_info.param)); });

// ---- faults ------------------------------------------------------------------------------------------

class CudaFaultGpu : public ::testing::Test {
 protected:
  void SetUp() override {
    UNINLU_REQUIRE_GPU();
    config_ = test::tiny_config();
    weights_ = test::random_weights(config_, 7);
  }
  std::unique_ptr<CudaBackend> make(const std::string& faults) {
    CudaBackendOptions o;
    o.precision = Precision::F32;
    o.fault_injection = faults;
    return std::make_unique<CudaBackend>(config_, weights_, o);
  }
  ModelConfig config_;
  SiameseWeights weights_;
};

TEST_F(CudaFaultGpu, InjectedOutOfMemoryIsDistinguishableAndTransient) {
  auto gpu = make("cuda:0:oom:every=2");
  const auto ids = token_ids(17, 1);
  const std::vector<TextInput> batch = {{ids}};
  const auto first = gpu->run_text(batch);
  try {
    gpu->run_text(batch);
    FAIL() << "call 2 should fail";
  } catch (const cuda::CudaOutOfMemory& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Unavailable);
    EXPECT_EQ(e.source(), cuda::CudaError::Source::Injected);
    EXPECT_NE(std::string(e.what()).find("out of memory"), std::string::npos) << e.what();
  }
  const auto third = gpu->run_text(batch);
  EXPECT_EQ(third[0]->values, first[0]->values);
}

TEST_F(CudaFaultGpu, ErrorRebuildsTheDeviceStateBeforeTheNextCall) {
  auto gpu = make("cuda:0:error:at=2");
  const auto ids = token_ids(33, 2);
  const std::vector<TextInput> batch = {{ids}};
  const auto first = gpu->run_text(batch);
  try {
    gpu->run_text(batch);
    FAIL() << "call 2 should fail";
  } catch (const cuda::CudaOutOfMemory&) {
    FAIL() << "an error, not an out-of-memory";
  } catch (const cuda::CudaError& e) {
    EXPECT_FALSE(e.sticky());
  }
  const auto third = gpu->run_text(batch);  // rebuilt: new stream, arena, handles, weights
  EXPECT_LT(max_diff(third[0]->values, first[0]->values), 1e-6);
}

TEST_F(CudaFaultGpu, StickyErrorResetsTheDeviceAndReuploadsTheWeights) {
  auto gpu = make("cuda:*:sticky:at=2");
  const auto ids = token_ids(20, 3);
  const auto h = token_ids(6, 4);
  const std::vector<TextInput> batch = {{ids}};
  const auto first = gpu->run_text(batch);
  EXPECT_THROW(gpu->run_text(batch), cuda::CudaError);
  const auto third = gpu->run_text(batch);  // cudaDeviceReset, then everything again
  EXPECT_LT(max_diff(third[0]->values, first[0]->values), 1e-6);
  const auto logits = gpu->run_cross(std::vector<CrossInput>{{third[0], {h, 20}}});
  ASSERT_EQ(logits.size(), 1u);
  EXPECT_EQ(logits[0].head.size(), ids.size());
}

// A context lost for real (a kernel that writes through a bad pointer), on the last GPU: the reset path
// must make that GPU current although cudaSetDevice reports the lost context's error, reset it and
// re-upload. With two GPUs or more, the thread's current device is cuda:0 (not the poisoned one), and a
// backend on cuda:0 must keep working (its pinned staging belongs to cuda:0, not to the reset GPU).
TEST_F(CudaFaultGpu, ARealKernelFaultIsRecoveredByAResetOfThatGpuOnly) {
  const int last = gpu_test::gpu_count() - 1;
  CudaBackendOptions o;
  o.precision = Precision::F32;
  o.fault_injection = "";
  o.device = last;
  CudaBackend victim(config_, weights_, o);
  std::unique_ptr<CudaBackend> bystander;
  if (last > 0) {
    CudaBackendOptions b = o;
    b.device = 0;
    bystander = std::make_unique<CudaBackend>(config_, weights_, b);
  }
  const auto ids = token_ids(25, 8);
  const std::vector<TextInput> batch = {{ids}};
  const auto first = victim.run_text(batch);
  const auto bystander_first = bystander ? bystander->run_text(batch) : first;

  const cudaError_t poisoned = gpu_test::poison_device(last);
  ASSERT_NE(poisoned, cudaSuccess) << "the poison kernel did not fault";
  std::printf("poisoned cuda:%d: %s\n", last, cudaGetErrorName(poisoned));
  (void)cudaSetDevice(0);  // the caller's device is another GPU's (or the lost one's with a single GPU)
  (void)cudaGetLastError();

  try {
    victim.run_text(batch);
    FAIL() << "a call on a lost context should fail";
  } catch (const cuda::CudaError& e) {
    std::printf("on the lost context: %s\n", e.what());
  }
  const auto recovered = victim.run_text(batch);  // reset of cuda:last, re-upload, then the batch
  EXPECT_LT(max_diff(recovered[0]->values, first[0]->values), 1e-6);
  if (bystander) {
    const auto again = bystander->run_text(batch);
    EXPECT_LT(max_diff(again[0]->values, bystander_first[0]->values), 1e-6);
  }
}

// Two backends on one GPU: a reset would destroy the other's state, so the lost context is reported
// (a device fault each call) instead of reset under the other backend's feet.
TEST_F(CudaFaultGpu, ALostContextSharedByTwoBackendsIsNotReset) {
  CudaBackendOptions o;
  o.precision = Precision::F32;
  o.fault_injection = "";
  {
    CudaBackend one(config_, weights_, o);
    CudaBackend two(config_, weights_, o);
    const auto ids = token_ids(9, 9);
    const std::vector<TextInput> batch = {{ids}};
    one.run_text(batch);
    ASSERT_NE(gpu_test::poison_device(0), cudaSuccess);
    EXPECT_THROW(one.run_text(batch), cuda::CudaError);
    try {
      one.run_text(batch);
      ADD_FAILURE() << "the shared GPU was reset";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::Unavailable);
      EXPECT_NE(std::string(e.what()).find("restart"), std::string::npos) << e.what();
    }
  }
  // Leave the GPU usable for the next tests: the backends are gone, now the reset.
  (void)cudaSetDevice(0);
  (void)cudaDeviceReset();
  (void)cudaGetLastError();
}

TEST_F(CudaFaultGpu, AfterTriggerKeepsFailing) {
  auto gpu = make("cuda:0:oom:after=1");
  const auto ids = token_ids(5, 5);
  const std::vector<TextInput> batch = {{ids}};
  gpu->run_text(batch);
  for (int i = 0; i < 3; ++i) EXPECT_THROW(gpu->run_text(batch), cuda::CudaOutOfMemory);
}

TEST_F(CudaFaultGpu, RulesForOtherDevicesDoNothing) {
  auto gpu = make("cuda:7:error:every=1");
  const auto ids = token_ids(5, 6);
  EXPECT_NO_THROW(gpu->run_text(std::vector<TextInput>{{ids}}));
  EXPECT_EQ(gpu->name(), "cuda:0");
  EXPECT_NE(gpu->describe().find("cuda:0"), std::string::npos);
}

// ---- layer split ---------------------------------------------------------------------------------------

TEST(CudaLayerSplitGpu, EqualsTheSingleGpuBackend) {
  UNINLU_REQUIRE_GPUS(2);
  const ModelConfig config = test::tiny_config();
  const SiameseWeights weights = test::random_weights(config, 99);
  for (Precision p : {Precision::F32, Precision::F16}) {
    CudaBackendOptions single;
    single.precision = p;
    single.fault_injection = "";
    CudaBackendOptions split = single;
    split.cross_device = 1;
    CudaBackend one(config, weights, single);
    CudaBackend two(config, weights, split);
    EXPECT_EQ(two.name(), "cuda:0+1");
    const auto a = token_ids(40, 1), b = token_ids(384, 2), h = token_ids(9, 3);
    const std::vector<TextInput> windows = {{a}, {b}};
    const auto t1 = one.run_text(windows);
    const auto t2 = two.run_text(windows);
    for (std::size_t i = 0; i < t1.size(); ++i) EXPECT_LT(max_diff(t1[i]->values, t2[i]->values), 1e-5);
    const std::vector<CrossInput> cross = {{t1[0], {h, 40}}, {t1[1], {h, 384}}, {t1[0], {a, 40}}};
    for (int round = 0; round < 2; ++round) {  // computed hints, then cached ones
      const auto l1 = one.run_cross(cross);
      const auto l2 = two.run_cross(cross);
      for (std::size_t i = 0; i < cross.size(); ++i) {
        EXPECT_LT(max_diff(l1[i].head, l2[i].head), 1e-5) << precision_name(p);
        EXPECT_LT(max_diff(l1[i].tail, l2[i].tail), 1e-5) << precision_name(p);
      }
    }
  }
}

}  // namespace
}  // namespace uninlu
