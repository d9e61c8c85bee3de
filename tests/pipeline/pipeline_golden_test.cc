// The whole pipeline on the CPU backend in fp32 against the independent PyTorch reference: every case
// of cases.jsonl must give exactly the reference's output (spans, offsets, order).
#include <gtest/gtest.h>

#include "engine/cpu/cpu_backend.h"
#include "golden_support.h"
#include "model/model_dir.h"
#include "pipeline/prediction.h"
#include "pipeline/run_task.h"

namespace uninlu {
namespace {

TEST(PipelineGolden, EveryCaseMatchesTheReference) {
  const auto all_cases = testing::read_jsonl(testing::goldens_dir() + "/cases.jsonl");
  ASSERT_GE(all_cases.size(), 300u) << "goldens missing: run ctest (it generates them) or tools/make_goldens.py";
  const auto cases = testing::sample_cases(all_cases);
  const ModelDir model = load_model_dir(testing::tiny_model_dir());
  const BertTokenizer tokenizer(model.vocab);
  auto backend = make_cpu_backend(model.config, model.weights, {Precision::F32, 1});  // tests run side by side
  PipelineLimits limits;
  limits.max_prompts = 1 << 20;
  std::size_t matched = 0, chains = 0, empty = 0;
  std::vector<std::string> tasks_seen;
  for (const auto& c : cases) {
    const std::string id = c["id"];
    // A schema given as a JSON string (repeated keys) is passed as that string, as a client would.
    const nlohmann::ordered_json schema = c.contains("schema_text") ? nlohmann::ordered_json(c["schema_text"]) : c["schema"];
    PredictionTask task(tokenizer, c["text"].get<std::string>(), Schema::from_json(schema, limits),
                        c["output_all_prefix"].get<bool>(), limits);
    ASSERT_EQ(static_cast<int>(task.encoding().size()), c["n_tokens"].get<int>()) << id;
    ASSERT_EQ(task.windows().size(), c["n_windows"].get<std::size_t>()) << id;
    run_task(*backend, task, 8192);
    const auto output = task.output_json();
    // The HTTP answer writes the output as text directly: the same bytes as the tree's dump.
    EXPECT_EQ(task.output_text(), output.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace)) << id;
    if (output == c["expected"]) {
      ++matched;
    } else {
      ADD_FAILURE() << id << ": got      " << output.dump(-1, ' ', false) << "\n"
                    << id << ": expected " << c["expected"].dump(-1, ' ', false);
    }
    chains += c["expected"]["output"].size();
    empty += c["expected"]["output"].empty() ? 1 : 0;
  }
  EXPECT_EQ(matched, cases.size());
  EXPECT_GT(chains, cases.size());      // the comparison is mostly of non-empty outputs
  EXPECT_GT(empty, 0u);                 // and the empty case is covered
  std::printf("golden: %zu/%zu cases identical (%zu result chains, %zu empty outputs)\n", matched, cases.size(),
              chains, empty);
}

}  // namespace
}  // namespace uninlu
