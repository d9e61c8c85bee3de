#include "engine/weight_checks.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "expect_error.h"

namespace uninlu {
namespace {

using ::testing::HasSubstr;
using uninlu::testing::load_error;

TEST(WeightChecks, ATensorOfTheWrongShapeOrMissingIsAModelLoadErrorNamingIt) {
  const HostTensor t = HostTensor::zeros(DType::F32, {2, 3});
  EXPECT_EQ(checked_f32(t, {2, 3}, "x").shape(), (std::vector<std::int64_t>{2, 3}));
  EXPECT_THAT(load_error([&] { checked_f32(t, {3, 2}, "head_clsf.weight"); }),
              HasSubstr("weight 'head_clsf.weight' has shape [2, 3], expected [3, 2]"));
  EXPECT_THAT(load_error([&] { checked_f32(HostTensor(), {3}, "head_clsf.bias"); }),
              HasSubstr("'head_clsf.bias' has shape (missing)"));
}

TEST(WeightChecks, ConvertsOtherDtypesToFp32) {
  const HostTensor t = HostTensor::zeros(DType::F16, {4});
  EXPECT_EQ(checked_f32(t, {4}, "x").dtype(), DType::F32);
}

TEST(WeightChecks, LayerCountsMustMatchTheConfig) {
  ModelConfig config;
  config.num_hidden_layers = 3;
  config.cross_layers = 2;
  SiameseWeights weights;
  weights.text_layers.resize(1);
  weights.cross_layers.resize(2);
  check_siamese_layers(config, weights);
  weights.cross_layers.resize(1);
  EXPECT_THAT(load_error([&] { check_siamese_layers(config, weights); }),
              HasSubstr("the weights have 1 text and 1 cross layers; the config says 1 and 2"));
  weights.cross_layers.resize(2);
  config.type_vocab_size = 1;
  EXPECT_THAT(load_error([&] { check_siamese_layers(config, weights); }), HasSubstr("needs token type 1"));
}

}  // namespace
}  // namespace uninlu
