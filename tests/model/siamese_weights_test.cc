// Checkpoint names to SiameseUniNLU weights: both key layouts, both file formats, every stored dtype;
// the float32 weights must equal torch's own float32 conversion of what it saved (manifest sha256_f32).
#include "model/siamese_weights.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>

#include "model/model_config.h"
#include "test_support.h"

namespace uninlu {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using uninlu::testing::load_error;
using uninlu::testing::loader_dir;
using uninlu::testing::variant_dir;

constexpr std::int64_t kTinyParameters = 795202;  // make_fixture.py's count for --size tiny

ModelConfig tiny_config() { return ModelConfig::from_file(variant_dir("tiny") + "/config.json"); }

SiameseWeights map_file(const std::string& path) { return map_siamese_weights(read_checkpoint(path), tiny_config()); }

struct MappedVariant {
  std::string variant;
  std::string file;
  KeyLayout layout;
};

// Readable in test names and failure messages.
void PrintTo(const MappedVariant& p, std::ostream* os) { *os << p.variant << "/" << p.file; }

std::string variant_name(const ::testing::TestParamInfo<MappedVariant>& test) {
  std::string name = test.param.variant + "_" + (test.param.file == "model.safetensors" ? "safetensors" : "bin");
  for (char& c : name) c = c == '-' ? '_' : c;
  return name;
}

class MapsEveryVariant : public ::testing::TestWithParam<MappedVariant> {};

TEST_P(MapsEveryVariant, WeightsEqualTorchsFloat32Conversion) {
  const auto& p = GetParam();
  const SiameseWeights w = map_file(variant_dir(p.variant) + "/" + p.file);
  EXPECT_EQ(w.layout, p.layout);
  EXPECT_EQ(w.text_layers.size(), 6u);
  EXPECT_EQ(w.cross_layers.size(), 6u);

  std::map<std::string, uninlu::testing::ManifestTensor> manifest;
  for (auto& t : uninlu::testing::load_manifest(p.variant, p.file)) manifest.emplace(t.name, t);
  const auto weights = named_weights(w);
  ASSERT_EQ(weights.size(), 5u + 12u * 16u + 4u);
  for (const auto& [name, tensor] : weights) {
    ASSERT_TRUE(manifest.contains(name)) << name << " is not in the checkpoint's manifest";
    const auto& saved = manifest.at(name);
    EXPECT_EQ(tensor->dtype(), DType::F32) << name;
    EXPECT_EQ(tensor->shape(), saved.shape) << name;
    ASSERT_TRUE(saved.sha256_f32.has_value()) << name;
    EXPECT_EQ(uninlu::testing::sha256_of(*tensor), *saved.sha256_f32) << name;
  }
  EXPECT_EQ(parameter_count(w), kTinyParameters);
  EXPECT_THAT(w.ignored, ::testing::Contains("plm.pooler.dense.weight"));
}

INSTANTIATE_TEST_SUITE_P(Variants, MapsEveryVariant,
                         ::testing::Values(MappedVariant{"tiny", "pytorch_model.bin", KeyLayout::CrossAttention},
                                           MappedVariant{"tiny", "model.safetensors", KeyLayout::CrossAttention},
                                           MappedVariant{"plm", "pytorch_model.bin", KeyLayout::PlmEncoder},
                                           MappedVariant{"plm", "model.safetensors", KeyLayout::PlmEncoder},
                                           MappedVariant{"fp16", "pytorch_model.bin", KeyLayout::CrossAttention},
                                           MappedVariant{"fp16", "model.safetensors", KeyLayout::CrossAttention},
                                           MappedVariant{"bf16", "pytorch_model.bin", KeyLayout::CrossAttention},
                                           MappedVariant{"bf16", "model.safetensors", KeyLayout::CrossAttention},
                                           MappedVariant{"st-only", "model.safetensors", KeyLayout::CrossAttention},
                                           MappedVariant{"views", "pytorch_model.bin", KeyLayout::CrossAttention},
                                           MappedVariant{"proto4", "pytorch_model.bin", KeyLayout::CrossAttention},
                                           MappedVariant{"rezipped", "pytorch_model.bin", KeyLayout::CrossAttention}),
                         variant_name);

TEST(SiameseWeights, BothKeyLayoutsGiveTheSameModel) {
  // make_fixture.py draws the weights in the same order for both layouts; only the names differ.
  const auto cross = map_file(variant_dir("tiny") + "/pytorch_model.bin");
  const auto plm = map_file(variant_dir("plm") + "/model.safetensors");
  const auto a = named_weights(cross);
  const auto b = named_weights(plm);
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(uninlu::testing::sha256_of(*a[i].second), uninlu::testing::sha256_of(*b[i].second)) << a[i].first;
  }
  EXPECT_EQ(a[5 + 6 * 16].first, "crossattention.layer.0.attention.self.query.weight");
  EXPECT_EQ(b[5 + 6 * 16].first, "plm.encoder.layer.6.attention.self.query.weight");
  EXPECT_EQ(b.back().first, "tail_clsf.bias");
}

TEST(SiameseWeights, Float32IsZeroCopyAndOtherDtypesAreConverted) {
  const Checkpoint f32 = read_checkpoint(variant_dir("tiny") + "/pytorch_model.bin");
  const SiameseWeights w = map_siamese_weights(f32, tiny_config());
  for (const auto& [name, tensor] : named_weights(w)) {
    EXPECT_EQ(tensor->raw(), f32.find(name)->tensor.raw()) << name << " was copied";
  }
  const Checkpoint f16 = read_checkpoint(variant_dir("fp16") + "/pytorch_model.bin");
  const SiameseWeights w16 = map_siamese_weights(f16, tiny_config());
  EXPECT_EQ(f16.find("head_clsf.weight")->tensor.dtype(), DType::F16);
  EXPECT_NE(w16.head.weight.raw(), f16.find("head_clsf.weight")->tensor.raw());
  EXPECT_EQ(w16.head.weight.dtype(), DType::F32);
}

TEST(SiameseWeights, ListsTheIgnoredTensorsInFileOrder) {
  const auto w = map_file(variant_dir("tiny") + "/pytorch_model.bin");
  EXPECT_THAT(w.ignored,
              ElementsAre("plm.embeddings.position_ids", "plm.pooler.dense.weight", "plm.pooler.dense.bias"));
  EXPECT_STREQ(key_layout_name(w.layout), "crossattention");
  EXPECT_STREQ(key_layout_name(KeyLayout::PlmEncoder), "plm.encoder");
}

TEST(SiameseWeights, FieldsHoldTheTensorsTheirNamesSay) {
  const Checkpoint ckpt = read_checkpoint(variant_dir("tiny") + "/pytorch_model.bin");
  const SiameseWeights w = map_siamese_weights(ckpt, tiny_config());
  const auto same = [&](const HostTensor& t, const char* name) { return t.raw() == ckpt.find(name)->tensor.raw(); };
  EXPECT_TRUE(same(w.embeddings.word, "plm.embeddings.word_embeddings.weight"));
  EXPECT_TRUE(same(w.embeddings.norm.beta, "plm.embeddings.LayerNorm.bias"));
  EXPECT_TRUE(same(w.text_layers[5].output.weight, "plm.encoder.layer.5.output.dense.weight"));
  EXPECT_TRUE(same(w.text_layers[0].attention_norm.gamma, "plm.encoder.layer.0.attention.output.LayerNorm.weight"));
  EXPECT_TRUE(same(w.cross_layers[0].key.bias, "crossattention.layer.0.attention.self.key.bias"));
  EXPECT_TRUE(same(w.cross_layers[5].intermediate.weight, "crossattention.layer.5.intermediate.dense.weight"));
  EXPECT_TRUE(same(w.head.weight, "head_clsf.weight"));
  EXPECT_TRUE(same(w.tail.bias, "tail_clsf.bias"));
  EXPECT_EQ(w.cross_layers[5].intermediate.weight.shape(), (std::vector<std::int64_t>{64, 32}));
}

// --------------------------------------------------------------------------------- refused checkpoints

std::string dir_weights(const std::string& name) { return loader_dir("dirs/" + name) + "/pytorch_model.bin"; }

TEST(SiameseWeights, ListsMissingTensors) {
  const std::string path = dir_weights("missing-tensors");
  EXPECT_THAT(load_error([&] { map_file(path); }),
              AllOf(HasSubstr(path + ": not a SiameseUniNLU checkpoint for this config.json (12 layers, key layout "
                                     "crossattention)"),
                    HasSubstr("2 tensors missing: plm.encoder.layer.2.attention.self.key.bias, "
                              "crossattention.layer.5.output.LayerNorm.weight")));
}

TEST(SiameseWeights, ListsUnexpectedTensors) {
  const std::string path = dir_weights("extra-tensors");
  const std::string message = load_error([&] { map_file(path); });
  EXPECT_THAT(message, HasSubstr(path + ": not a SiameseUniNLU checkpoint"));
  EXPECT_THAT(message, HasSubstr("2 unexpected tensors: classifier.weight, classifier.bias"));
  EXPECT_THAT(message, ::testing::Not(HasSubstr("missing")));
}

TEST(SiameseWeights, ACheckpointOfAnotherModelSaysSo) {
  const std::string message = load_error([] { map_file(dir_weights("other-model")); });
  EXPECT_THAT(message, HasSubstr("201 tensors missing: plm.embeddings.word_embeddings.weight, "));
  EXPECT_THAT(message, HasSubstr(", ... and 196 more"));
  EXPECT_THAT(message, HasSubstr("202 unexpected tensors: bert.embeddings.word_embeddings.weight"));
  EXPECT_THAT(message, HasSubstr("the last 6 layers are neither under crossattention.layer.{0..5} nor under "
                                 "plm.encoder.layer.{6..11}"));
}

TEST(SiameseWeights, NamesATensorWithTheWrongShapeAndWhereTheExpectedShapeComesFrom) {
  const std::string path = dir_weights("wrong-shape");
  EXPECT_THAT(load_error([&] { map_file(path); }),
              HasSubstr(path + ": plm.encoder.layer.3.intermediate.dense.weight has shape [32, 64], expected [64, 32] "
                               "(intermediate_size x hidden_size from config.json)"));
}

TEST(SiameseWeights, NamesATensorThatIsNotFloatingPoint) {
  const std::string path = dir_weights("wrong-dtype");
  EXPECT_THAT(load_error([&] { map_file(path); }),
              HasSubstr(path + ": head_clsf.bias has dtype int64; expected a floating-point tensor"));
}

TEST(SiameseWeights, RefusesACheckpointThatMixesBothLayouts) {
  const std::string path = dir_weights("mixed-layout");
  EXPECT_THAT(load_error([&] { map_file(path); }),
              HasSubstr(path + ": mixes both key layouts for the last 6 layers (crossattention.layer.0."
                               "attention.self.query.weight and plm.encoder.layer.6.attention.self.query.weight)"));
}

TEST(SiameseWeights, AConfigThatDisagreesWithTheCheckpointIsNamed) {
  auto raw = tiny_config().raw;
  raw["hidden_size"] = 64;
  const ModelConfig wider = ModelConfig::from_json(raw, "wider/config.json");
  const std::string path = variant_dir("tiny") + "/model.safetensors";
  EXPECT_THAT(load_error([&] { map_siamese_weights(read_checkpoint(path), wider); }),
              HasSubstr(path + ": plm.embeddings.word_embeddings.weight has shape [21128, 32], expected [21128, 64] "
                               "(vocab_size x hidden_size from config.json)"));
  raw = tiny_config().raw;
  raw["num_hidden_layers"] = 13;  // one text layer more than the checkpoint has
  const ModelConfig deeper = ModelConfig::from_json(raw, "deeper/config.json");
  EXPECT_THAT(load_error([&] { map_siamese_weights(read_checkpoint(path), deeper); }),
              HasSubstr("16 tensors missing: plm.encoder.layer.6.attention.self.query.weight"));
}

}  // namespace
}  // namespace uninlu
