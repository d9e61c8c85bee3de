// config.json: typed fields, BertConfig's defaults only for the fields that do not size the weights,
// and errors that name the file and the field.
#include "model/model_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "test_support.h"

namespace uninlu {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using uninlu::testing::load_error;

// The real model's config.json (bert-base-chinese shape).
json base_config() {
  return json::parse(R"({
    "architectures": ["BertModel"], "attention_probs_dropout_prob": 0.1, "hidden_act": "gelu",
    "hidden_dropout_prob": 0.1, "hidden_size": 768, "initializer_range": 0.02, "intermediate_size": 3072,
    "layer_norm_eps": 1e-12, "max_position_embeddings": 512, "model_type": "bert", "num_attention_heads": 12,
    "num_hidden_layers": 12, "pad_token_id": 0, "position_embedding_type": "absolute", "type_vocab_size": 2,
    "vocab_size": 21128})");
}

std::string error_with(const std::string& field, const json& value) {
  json j = base_config();
  j[field] = value;
  return load_error([&] { ModelConfig::from_json(j, "model/config.json"); });
}

std::string error_without(const std::string& field) {
  json j = base_config();
  j.erase(field);
  return load_error([&] { ModelConfig::from_json(j, "model/config.json"); });
}

TEST(ModelConfig, ReadsTheRealModelsConfig) {
  const ModelConfig c = ModelConfig::from_json(base_config(), "config.json");
  EXPECT_EQ(c.vocab_size, 21128);
  EXPECT_EQ(c.hidden_size, 768);
  EXPECT_EQ(c.num_hidden_layers, 12);
  EXPECT_EQ(c.num_attention_heads, 12);
  EXPECT_EQ(c.intermediate_size, 3072);
  EXPECT_EQ(c.max_position_embeddings, 512);
  EXPECT_EQ(c.type_vocab_size, 2);
  EXPECT_FLOAT_EQ(c.layer_norm_eps, 1e-12f);
  EXPECT_EQ(c.hidden_act, "gelu");
  EXPECT_EQ(c.text_layers(), 6);
  EXPECT_EQ(c.head_dim(), 64);
  EXPECT_EQ(c.raw, base_config());
  EXPECT_TRUE(c.warnings.empty());
}

TEST(ModelConfig, ReadsTheTinyFixture) {
  const std::string path = uninlu::testing::tiny_dir() + "/config.json";
  const ModelConfig c = ModelConfig::from_file(path);
  EXPECT_EQ(c.hidden_size, 32);
  EXPECT_EQ(c.num_attention_heads, 4);
  EXPECT_EQ(c.intermediate_size, 64);
  EXPECT_EQ(c.raw.at("directionality"), "bidi");  // kept whole, unknown fields included
  EXPECT_TRUE(c.warnings.empty());
}

TEST(ModelConfig, TheFieldsThatSizeTheWeightsAreRequired) {
  for (const char* field :
       {"vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size"}) {
    EXPECT_THAT(error_without(field), HasSubstr(std::string("model/config.json: field \"") + field + "\" is missing"));
  }
  EXPECT_THAT(error_with("hidden_size", nullptr), HasSubstr("field \"hidden_size\" is missing"));
}

TEST(ModelConfig, OtherFieldsTakeBertConfigsDefaultsWithAWarning) {
  json j = base_config();
  for (const char* f :
       {"max_position_embeddings", "type_vocab_size", "layer_norm_eps", "hidden_act", "position_embedding_type"}) {
    j.erase(f);
  }
  const ModelConfig c = ModelConfig::from_json(j, "config.json");
  EXPECT_EQ(c.max_position_embeddings, 512);
  EXPECT_EQ(c.type_vocab_size, 2);
  EXPECT_FLOAT_EQ(c.layer_norm_eps, 1e-12f);
  EXPECT_EQ(c.hidden_act, "gelu");
  ASSERT_EQ(c.warnings.size(), 5u);
  EXPECT_THAT(c.warnings[0], HasSubstr("max_position_embeddings is absent; using BertConfig's default 512"));
}

TEST(ModelConfig, IllTypedFieldsAreNamed) {
  EXPECT_THAT(error_with("hidden_size", "768"),
              HasSubstr("model/config.json: field \"hidden_size\" must be an integer, got \"768\" (string)"));
  EXPECT_THAT(error_with("hidden_size", 768.0),
              HasSubstr("field \"hidden_size\" must be an integer, got 768.0 (number)"));
  EXPECT_THAT(error_with("num_hidden_layers", true),
              HasSubstr("field \"num_hidden_layers\" must be an integer, got true"));
  EXPECT_THAT(error_with("layer_norm_eps", "1e-12"), HasSubstr("field \"layer_norm_eps\" must be a number"));
  EXPECT_THAT(error_with("hidden_act", json::array({"gelu"})), HasSubstr("field \"hidden_act\" must be a string"));
  EXPECT_THAT(error_with("vocab_size", 1e30), HasSubstr("field \"vocab_size\" must be an integer"));
  EXPECT_THAT(error_with("vocab_size", 4294967296LL),
              HasSubstr("field \"vocab_size\" is 4294967296, which is too large"));
}

TEST(ModelConfig, InvalidValuesAreExplained) {
  EXPECT_THAT(error_with("vocab_size", 0),
              HasSubstr("model/config.json: field \"vocab_size\" is 0; it must be positive"));
  EXPECT_THAT(error_with("intermediate_size", -3072),
              HasSubstr("field \"intermediate_size\" is -3072; it must be positive"));
  EXPECT_THAT(error_with("layer_norm_eps", 0),
              HasSubstr("field \"layer_norm_eps\" is 0; it must be a positive number"));
  EXPECT_THAT(error_with("num_attention_heads", 7),
              HasSubstr("model/config.json: hidden_size (768) is not divisible by num_attention_heads (7)"));
  EXPECT_THAT(error_with("num_hidden_layers", 6),
              HasSubstr("model/config.json: num_hidden_layers is 6; SiameseUniNLU needs more than 6"));
  EXPECT_THAT(error_with("hidden_act", "gelu_new"),
              HasSubstr("model/config.json: hidden_act is \"gelu_new\"; uninlu implements BERT's \"gelu\""));
  EXPECT_THAT(
      error_with("position_embedding_type", "relative_key"),
      HasSubstr("model/config.json: position_embedding_type is \"relative_key\"; uninlu implements \"absolute\" only"));
  EXPECT_THAT(load_error([] { ModelConfig::from_json(json::array(), "list.json"); }),
              HasSubstr("list.json: expected a JSON object, got array"));
}

TEST(ModelConfig, SevenLayersIsTheSmallestSiameseModel) {
  json j = base_config();
  j["num_hidden_layers"] = 7;
  EXPECT_EQ(ModelConfig::from_json(j, "config.json").text_layers(), 1);
}

TEST(ModelConfig, WarnsAboutFieldsItReadsDifferently) {
  json j = base_config();
  j["model_type"] = "roberta";
  j["is_decoder"] = true;
  const ModelConfig c = ModelConfig::from_json(j, "config.json");
  ASSERT_EQ(c.warnings.size(), 2u);
  EXPECT_THAT(c.warnings[0], HasSubstr("model_type is \"roberta\""));
  EXPECT_THAT(c.warnings[1], HasSubstr("is_decoder is true"));
}

TEST(ModelConfig, FileErrorsNameTheFile) {
  const std::string missing_field = uninlu::testing::loader_dir("dirs/missing-config-field/config.json");
  EXPECT_THAT(load_error([&] { ModelConfig::from_file(missing_field); }),
              HasSubstr(missing_field + ": field \"hidden_size\" is missing"));
  const std::string not_json = uninlu::testing::tiny_dir() + "/vocab.txt";
  EXPECT_THAT(load_error([&] { ModelConfig::from_file(not_json); }), HasSubstr(not_json + ": not valid JSON"));
  EXPECT_THAT(load_error([] { ModelConfig::from_file("/nonexistent/config.json"); }),
              HasSubstr("cannot open /nonexistent/config.json"));
}

}  // namespace
}  // namespace uninlu
