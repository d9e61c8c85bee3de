// The whole pipeline on the CUDA backend against the goldens (tools/make_goldens.py: the independent
// PyTorch reference on the tiny fixture model), as tests/pipeline/pipeline_golden_test.cc runs the CPU:
//   fp32: every case gives exactly the reference's output;
//   fp16 / bf16: the result chains (spans) that differ from the reference are counted, printed, and must
//   be at most 0.5% of the reference's chains.
// With UNINLU_GPU_FULL_MODEL=<dir> (a full-size model, tools/make_fixture.py --size full), the same cases
// also run there with the CPU backend in fp32 as the reference (the goldens' expected outputs are for the
// tiny model).
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>

#include "engine/cpu/cpu_backend.h"
#include "golden_support.h"
#include "gpu_test_support.h"
#include "engine/cuda/cuda_backend.h"
#include "model/model_dir.h"
#include "pipeline/prediction.h"
#include "pipeline/run_task.h"

namespace uninlu {
namespace {

struct Tally {
  std::size_t cases = 0, identical = 0, chains = 0, differing = 0;
};

// Chains in one output and not the other, counted as multisets (order-insensitive: an order change alone
// would show as a difference of the whole output, not of spans).
std::size_t differing_chains(const nlohmann::ordered_json& got, const nlohmann::ordered_json& want) {
  std::map<std::string, int> count;
  for (const auto& chain : want["output"]) ++count[chain.dump()];
  for (const auto& chain : got["output"]) --count[chain.dump()];
  std::size_t diff = 0;
  for (const auto& [key, n] : count) diff += static_cast<std::size_t>(n < 0 ? -n : n);
  return diff;
}

nlohmann::ordered_json run_case(Backend& backend, const BertTokenizer& tokenizer, const nlohmann::ordered_json& c) {
  PipelineLimits limits;
  limits.max_prompts = 1 << 20;
  const nlohmann::ordered_json schema = c.contains("schema_text") ? nlohmann::ordered_json(c["schema_text"]) : c["schema"];
  PredictionTask task(tokenizer, c["text"].get<std::string>(), Schema::from_json(schema, limits),
                      c["output_all_prefix"].get<bool>(), limits);
  run_task(backend, task, 8192);
  return task.output_json();
}

Tally compare_all(Backend& backend, const BertTokenizer& tokenizer, const std::vector<nlohmann::ordered_json>& cases,
                  const std::vector<nlohmann::ordered_json>& expected, bool report_each) {
  Tally t;
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const auto got = run_case(backend, tokenizer, cases[i]);
    const std::size_t diff = differing_chains(got, expected[i]);
    ++t.cases;
    t.chains += expected[i]["output"].size();
    t.differing += diff;
    if (got == expected[i]) {
      ++t.identical;
    } else if (report_each) {
      ADD_FAILURE() << cases[i]["id"].get<std::string>() << ": got      " << got.dump(-1, ' ', false) << "\n"
                    << "expected " << expected[i].dump(-1, ' ', false);
    }
  }
  return t;
}

void check_precision(Precision p, const Tally& t, const std::string& model) {
  const double share = t.chains == 0 ? 0.0 : static_cast<double>(t.differing) / static_cast<double>(t.chains);
  std::printf("golden %s on %s: %zu/%zu cases identical; %zu of %zu result chains differ (%.3f%%)\n",
              precision_name(p), model.c_str(), t.identical, t.cases, t.differing, t.chains, 100.0 * share);
  if (p == Precision::F32) {
    EXPECT_EQ(t.identical, t.cases);
  } else {
    EXPECT_LE(share, 0.005) << "more than 0.5% of the spans differ from fp32 in " << precision_name(p);
  }
}

class GoldenGpu : public ::testing::TestWithParam<Precision> {};

TEST_P(GoldenGpu, TinyModelMatchesTheReference) {
  UNINLU_REQUIRE_GPU();
  const auto cases = testing::read_jsonl(testing::goldens_dir() + "/cases.jsonl");
  ASSERT_GE(cases.size(), 300u) << "goldens missing: run ctest (it generates them) or tools/make_goldens.py";
  const ModelDir model = load_model_dir(testing::tiny_model_dir());
  const BertTokenizer tokenizer(model.vocab);
  CudaBackendOptions options;
  options.precision = GetParam();
  options.fault_injection = "";
  CudaBackend backend(model.config, model.weights, options);
  std::vector<nlohmann::ordered_json> expected;
  for (const auto& c : cases) expected.push_back(c["expected"]);
  const Tally t = compare_all(backend, tokenizer, cases, expected, GetParam() == Precision::F32);
  check_precision(GetParam(), t, "the tiny fixture");
}

// The full-size model, its cases and the CPU's fp32 answers: loaded and computed once per process (the
// CPU reference is the slow part), shared by the three precisions.
struct FullModelReference {
  ModelDir model;
  std::unique_ptr<BertTokenizer> tokenizer;
  std::vector<nlohmann::ordered_json> cases, expected;
};

const FullModelReference& full_model_reference(const std::string& dir) {
  static const FullModelReference reference = [&] {
    FullModelReference r;
    r.cases = testing::read_jsonl(testing::goldens_dir() + "/cases.jsonl");
    if (const char* limit = std::getenv("UNINLU_GPU_FULL_MODEL_CASES"); limit != nullptr) {
      r.cases.resize(std::min(r.cases.size(), static_cast<std::size_t>(std::atoi(limit))));
    }
    r.model = load_model_dir(dir);
    r.tokenizer = std::make_unique<BertTokenizer>(r.model.vocab);
    auto cpu = make_cpu_backend(r.model.config, r.model.weights, {Precision::F32, 0});
    for (const auto& c : r.cases) r.expected.push_back(run_case(*cpu, *r.tokenizer, c));
    return r;
  }();
  return reference;
}

TEST_P(GoldenGpu, FullSizeModelMatchesTheCpuInFp32) {
  UNINLU_REQUIRE_GPU();
  const char* dir = std::getenv("UNINLU_GPU_FULL_MODEL");
  if (dir == nullptr || *dir == '\0') GTEST_SKIP() << "set UNINLU_GPU_FULL_MODEL to a full-size model directory";
  const FullModelReference& r = full_model_reference(dir);
  ASSERT_FALSE(r.cases.empty()) << "goldens missing";
  CudaBackendOptions options;
  options.precision = GetParam();
  options.fault_injection = "";
  CudaBackend backend(r.model.config, r.model.weights, options);
  const Tally t = compare_all(backend, *r.tokenizer, r.cases, r.expected, GetParam() == Precision::F32);
  check_precision(GetParam(), t, "the full-size model");
}

INSTANTIATE_TEST_SUITE_P(Precisions, GoldenGpu, ::testing::Values(Precision::F32, Precision::F16, Precision::BF16),
                         [](const auto& param_info) { return std::string(precision_name(param_info.param)); });

}  // namespace
}  // namespace uninlu
