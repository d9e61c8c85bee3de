// load_model_dir: a directory as downloaded from ModelScope, read the way the reference reads it, and
// directories that must be refused with a message a person can act on.
#include "model/model_dir.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>

#include "test_support.h"

namespace uninlu {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using uninlu::testing::load_error;
using uninlu::testing::loader_dir;
using uninlu::testing::variant_dir;

TEST(ModelDir, LoadsTheTinyModelFromPytorchModelBin) {
  const ModelDir m = load_model_dir(variant_dir("tiny"));
  EXPECT_EQ(m.path, variant_dir("tiny"));
  EXPECT_EQ(m.weights_file, variant_dir("tiny") + "/pytorch_model.bin");  // preferred over model.safetensors
  EXPECT_EQ(m.format, "pytorch-zip");
  EXPECT_EQ(m.stored_dtype, "float32");
  EXPECT_EQ(m.config.hidden_size, 32);
  EXPECT_EQ(m.configuration.at("task"), "siamese-uie");
  ASSERT_NE(m.vocab, nullptr);
  EXPECT_EQ(m.vocab->size(), 21128u);
  EXPECT_EQ(m.weights.layout, KeyLayout::CrossAttention);
  EXPECT_EQ(m.parameter_count, 795202);
  EXPECT_TRUE(m.warnings.empty());
}

TEST(ModelDir, AnExplicitWeightsFileIsReadByItsContents) {
  const ModelDir bin = load_model_dir(variant_dir("tiny"));
  const ModelDir st = load_model_dir(variant_dir("tiny"), "model.safetensors");
  EXPECT_EQ(st.weights_file, variant_dir("tiny") + "/model.safetensors");
  EXPECT_EQ(st.format, "safetensors");
  const auto a = named_weights(bin.weights);
  const auto b = named_weights(st.weights);
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(uninlu::testing::sha256_of(*a[i].second), uninlu::testing::sha256_of(*b[i].second)) << a[i].first;
  }
  // An absolute path works too, wherever the file is.
  EXPECT_EQ(load_model_dir(variant_dir("tiny"), variant_dir("plm") + "/model.safetensors").weights.layout,
            KeyLayout::PlmEncoder);
  EXPECT_THAT(load_error([] { load_model_dir(variant_dir("tiny"), "nope.bin"); }),
              HasSubstr("weights file nope.bin not found (looked in " + variant_dir("tiny") +
                        " and in the working directory)"));
}

TEST(ModelDir, FallsBackToModelSafetensors) {
  const ModelDir m = load_model_dir(variant_dir("st-only"));
  EXPECT_EQ(m.format, "safetensors");
  EXPECT_EQ(m.weights_file, variant_dir("st-only") + "/model.safetensors");
}

TEST(ModelDir, ReportsTheStoredDtypes) {
  EXPECT_EQ(load_model_dir(variant_dir("fp16")).stored_dtype, "float16");
  EXPECT_EQ(load_model_dir(variant_dir("bf16")).stored_dtype, "bfloat16");
  EXPECT_EQ(load_model_dir(variant_dir("views")).stored_dtype, "float16+float32+float64");
  EXPECT_EQ(load_model_dir(variant_dir("plm")).weights.layout, KeyLayout::PlmEncoder);
}

TEST(ModelDir, AConfigurationForAnotherTaskLoadsWithAWarning) {
  const ModelDir m = load_model_dir(loader_dir("other-task"));
  ASSERT_EQ(m.warnings.size(), 1u);
  EXPECT_THAT(m.warnings[0], AllOf(HasSubstr("configuration.json does not declare task \"siamese-uie\""),
                                   HasSubstr("\"text-classification\"")));
  EXPECT_EQ(m.parameter_count, 795202);
}

std::string dir(const std::string& name) { return loader_dir("dirs/" + name); }

TEST(ModelDir, RefusesAMissingDirectoryOrAFile) {
  EXPECT_THAT(load_error([] { load_model_dir("/nonexistent/model"); }),
              HasSubstr("model directory /nonexistent/model does not exist"));
  const std::string file = variant_dir("tiny") + "/config.json";
  EXPECT_THAT(load_error([&] { load_model_dir(file); }), HasSubstr(file + " is not a directory"));
}

TEST(ModelDir, SaysWhichFilesAreMissingAndWhatItFound) {
  EXPECT_THAT(
      load_error([] { load_model_dir(dir("empty")); }),
      AllOf(HasSubstr("model directory " + dir("empty") +
                      " lacks config.json, vocab.txt, pytorch_model.bin (or model.safetensors); it holds nothing"),
            HasSubstr("holds config.json, vocab.txt and pytorch_model.bin or model.safetensors")));
  EXPECT_THAT(
      load_error([] { load_model_dir(dir("no-weights")); }),
      HasSubstr("lacks pytorch_model.bin (or model.safetensors); it holds config.json, configuration.json, vocab.txt"));
}

TEST(ModelDir, RefusesAVocabularyOfAnotherSize) {
  EXPECT_THAT(load_error([] { load_model_dir(dir("vocab-mismatch")); }),
              HasSubstr(dir("vocab-mismatch") + "/vocab.txt has 21127 tokens but " + dir("vocab-mismatch") +
                        "/config.json says vocab_size 21128"));
}

TEST(ModelDir, RefusesAConfigurationJsonThatIsNotJson) {
  EXPECT_THAT(load_error([] { load_model_dir(dir("bad-configuration")); }),
              HasSubstr(dir("bad-configuration") + "/configuration.json: not valid JSON"));
}

TEST(ModelDir, PassesOnConfigAndCheckpointErrors) {
  EXPECT_THAT(load_error([] { load_model_dir(dir("missing-config-field")); }),
              HasSubstr(dir("missing-config-field") + "/config.json: field \"hidden_size\" is missing"));
  EXPECT_THAT(
      load_error([] { load_model_dir(dir("wrong-shape")); }),
      HasSubstr(dir("wrong-shape") + "/pytorch_model.bin: plm.encoder.layer.3.intermediate.dense.weight has shape "
                                     "[32, 64], expected [64, 32]"));
  EXPECT_THAT(
      load_error([] { load_model_dir(loader_dir("legacy")); }),
      HasSubstr(loader_dir("legacy") + "/pytorch_model.bin is a PyTorch checkpoint in the legacy non-zip format"));
}

TEST(ModelDir, WithoutTokenizerFilesTheTokenizerIsBertsDefault) {
  const ModelDir m = load_model_dir(variant_dir("tiny"));
  EXPECT_TRUE(m.tokenizer_settings.files_read.empty());
  ASSERT_NE(m.tokenizer, nullptr);
  EXPECT_TRUE(m.tokenizer->settings().do_lower_case);
  EXPECT_EQ(m.tokenizer->cls_id(), 101);
  EXPECT_EQ(m.tokenizer->sep_id(), 102);
  EXPECT_EQ(m.tokenizer->encode("A").ids, (std::vector<std::int32_t>{101, 143, 102}));  // lowercased
}

TEST(ModelDir, ReadsTheTokenizerFiles) {
  const ModelDir m = load_model_dir(loader_dir("tokenizer-settings"));
  EXPECT_EQ(m.tokenizer_settings.files_read,
            (std::vector<std::string>{"tokenizer_config.json", "special_tokens_map.json", "added_tokens.json"}));
  EXPECT_FALSE(m.tokenizer_settings.do_lower_case);
  EXPECT_EQ(m.tokenizer_settings.model_max_length, 512);
  EXPECT_EQ(m.tokenizer_settings.tokenizer_class, "BertTokenizer");
  ASSERT_NE(m.tokenizer, nullptr);
  // Not lowercased: "A" is not in the lowercase vocabulary. [unused1] (special) and [unused2] (from
  // added_tokens.json) are matched whole.
  EXPECT_EQ(m.tokenizer->encode("A[unused1]a[unused2]").ids, (std::vector<std::int32_t>{101, 100, 1, 143, 2, 102}));
  EXPECT_TRUE(m.warnings.empty());
}

TEST(ModelDir, RefusesTokenizersOtherThanBerts) {
  for (const char* name : {"tokenizer-class", "config-tokenizer-class"}) {
    EXPECT_THAT(load_error([&] { load_model_dir(dir(name)); }),
                AllOf(HasSubstr("names tokenizer_class \"XLMRobertaTokenizer\""),
                      HasSubstr("uninlu implements only BERT's WordPiece tokenizer")))
        << name;
  }
}

TEST(ModelDir, RefusesBadTokenizerFiles) {
  EXPECT_THAT(load_error([] { load_model_dir(dir("missing-special-token")); }),
              HasSubstr("unk_token \"<unk>\" is not in the vocabulary (vocab.txt)"));
  EXPECT_THAT(load_error([] { load_model_dir(dir("added-token-past-vocab")); }),
              HasSubstr("vocab.txt has 21128 tokens (plus 1 added tokens) but"));
  for (const char* file : {"tokenizer_config", "special_tokens_map", "added_tokens"}) {
    std::string name = std::string("bad-") + file;
    std::replace(name.begin(), name.end(), '_', '-');
    EXPECT_THAT(load_error([&] { load_model_dir(dir(name)); }),
                HasSubstr(dir(name) + "/" + file + ".json: not valid JSON"))
        << name;
  }
}

// Not a check of speed (no timed assertion): loads the full-size model when one is named, and prints the
// time, which docs/model-loading.md records.
//   UNINLU_FULL_MODEL=/path/to/full ./model_tests --gtest_filter=ModelDir.LoadsAFullSizeModel
TEST(ModelDir, LoadsAFullSizeModel) {
  const char* path = std::getenv("UNINLU_FULL_MODEL");
  if (path == nullptr) GTEST_SKIP() << "set UNINLU_FULL_MODEL to a make_fixture.py --size full directory";
  const auto start = std::chrono::steady_clock::now();
  const ModelDir m = load_model_dir(path);
  const std::chrono::duration<double, std::milli> elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(m.config.hidden_size, 768);
  std::printf("loaded %s (%s, %s, %lld parameters) in %.1f ms\n", m.weights_file.c_str(), m.format.c_str(),
              m.stored_dtype.c_str(), static_cast<long long>(m.parameter_count), elapsed.count());
}

}  // namespace
}  // namespace uninlu
