// Reading a model directory's tokenizer files the way transformers' AutoTokenizer reads them.
#include "text/tokenizer_settings.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "core/error.h"
#include "expect_error.h"

namespace uninlu {
namespace {

using ::testing::HasSubstr;
using nlohmann::json;
namespace fs = std::filesystem;

using testing::load_error;

TokenizerSettings from(json config, json map = nullptr, json added = nullptr) {
  return tokenizer_settings_from_json({std::move(config), std::move(map), std::move(added), "dir"});
}

// A scratch directory per test (the pid keeps parallel test processes apart).
class TokenizerFilesDir : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("uninlu-tok-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  void write(const std::string& name, const std::string& contents) { std::ofstream(dir_ / name) << contents; }
  fs::path dir_;
};

TEST(TokenizerSettings, NoFilesMeansBertDefaults) {
  const TokenizerSettings s = from(nullptr);
  EXPECT_TRUE(s.do_lower_case);
  EXPECT_TRUE(s.tokenize_chinese_chars);
  EXPECT_EQ(s.strip_accents, std::nullopt);
  EXPECT_TRUE(s.effective_strip_accents());
  EXPECT_EQ(s.model_max_length, std::nullopt);
  EXPECT_EQ(s.unk_token, "[UNK]");
  EXPECT_EQ(s.cls_token, "[CLS]");
  EXPECT_TRUE(s.added_tokens.empty());
  EXPECT_TRUE(s.files_read.empty());
}

TEST(TokenizerSettings, StripAccentsFollowsLowercaseWhenNull) {
  EXPECT_FALSE(from({{"do_lower_case", false}}).effective_strip_accents());
  EXPECT_FALSE(from({{"do_lower_case", false}, {"strip_accents", nullptr}}).effective_strip_accents());
  EXPECT_TRUE(from({{"do_lower_case", false}, {"strip_accents", true}}).effective_strip_accents());
  EXPECT_FALSE(from({{"do_lower_case", true}, {"strip_accents", false}}).effective_strip_accents());
  EXPECT_FALSE(from({{"tokenize_chinese_chars", false}}).tokenize_chinese_chars);
}

TEST(TokenizerSettings, ModelMaxLength) {
  EXPECT_EQ(from({{"model_max_length", 512}}).model_max_length, 512);
  // transformers' "no limit", int(1e30): larger than any 64-bit integer.
  EXPECT_EQ(from(json::parse(R"({"model_max_length": 1000000000000000019884624838656})")).model_max_length,
            std::nullopt);
  EXPECT_THAT(load_error([] { from({{"model_max_length", "512"}}); }), HasSubstr("model_max_length must be an integer"));
}

TEST(TokenizerSettings, TokenizerClassBertOnly) {
  EXPECT_EQ(from({{"tokenizer_class", "BertTokenizer"}}).tokenizer_class, "BertTokenizer");
  EXPECT_EQ(from({{"tokenizer_class", "BertTokenizerFast"}}).tokenizer_class, "BertTokenizerFast");
  const std::string message = load_error([] { from({{"tokenizer_class", "XLMRobertaTokenizer"}}); });
  EXPECT_THAT(message, HasSubstr("dir/tokenizer_config.json"));
  EXPECT_THAT(message, HasSubstr("\"XLMRobertaTokenizer\""));
  EXPECT_THAT(message, HasSubstr("uninlu implements only BERT's WordPiece tokenizer"));
}

TEST(TokenizerSettings, SpecialTokenNamesAsStringsOrAddedTokenObjects) {
  const TokenizerSettings s =
      from({{"unk_token", "<unk>"},
            {"cls_token", {{"__type", "AddedToken"}, {"content", "<s>"}, {"normalized", false}, {"lstrip", false}}}});
  EXPECT_EQ(s.unk_token, "<unk>");
  EXPECT_EQ(s.cls_token, "<s>");
  EXPECT_EQ(s.sep_token, "[SEP]");
  EXPECT_THAT(load_error([] { from({{"mask_token", {{"content", "[MASK]"}, {"lstrip", true}}}}); }),
              HasSubstr("sets lstrip, which uninlu does not implement"));
  EXPECT_THAT(load_error([] { from({{"unk_token", 5}}); }), HasSubstr("unk_token must be a string"));
}

TEST(TokenizerSettings, SpecialTokensMapOverridesTheConfigAndMergesAdditionalTokens) {
  const TokenizerSettings s = from({{"unk_token", "<u1>"}, {"additional_special_tokens", {"<a>"}}},
                                   {{"unk_token", "<u2>"}, {"additional_special_tokens", {"<a>", "<b>"}}});
  EXPECT_EQ(s.unk_token, "<u2>");
  ASSERT_EQ(s.added_tokens.size(), 2u);
  EXPECT_EQ(s.added_tokens[0], (AddedTokenSpec{"<a>", std::nullopt, true, false}));
  EXPECT_EQ(s.added_tokens[1], (AddedTokenSpec{"<b>", std::nullopt, true, false}));
}

TEST(TokenizerSettings, AddedTokensJsonIsNormalizedUnlessNamedSpecial) {
  const TokenizerSettings s = from({{"additional_special_tokens", {"<sp>"}}}, nullptr, {{"<new>", 21129}, {"<sp>", 21128}});
  ASSERT_EQ(s.added_tokens.size(), 2u);  // in id order; <sp> is listed once
  EXPECT_EQ(s.added_tokens[0], (AddedTokenSpec{"<sp>", 21128, true, false}));
  EXPECT_EQ(s.added_tokens[1], (AddedTokenSpec{"<new>", 21129, false, true}));
  EXPECT_THAT(load_error([] { from(nullptr, nullptr, {{"<x>", "1"}}); }),
              HasSubstr("the id of \"<x>\" must be a non-negative integer"));
}

TEST(TokenizerSettings, AddedTokensDecoderWinsOverTheLegacyFiles) {
  const json config = {{"added_tokens_decoder",
                        {{"21128", {{"content", "<e>"}, {"special", false}, {"normalized", true}}},
                         {"100", {{"content", "[UNK]"}, {"special", true}, {"normalized", false}}}}}};
  const TokenizerSettings s = from(config, {{"unk_token", "<ignored>"}}, {{"<ignored>", 5}});
  ASSERT_EQ(s.added_tokens.size(), 2u);
  EXPECT_EQ(s.added_tokens[0], (AddedTokenSpec{"[UNK]", 100, true, false}));
  EXPECT_EQ(s.added_tokens[1], (AddedTokenSpec{"<e>", 21128, false, true}));
  EXPECT_EQ(s.unk_token, "[UNK]");
  EXPECT_EQ(s.warnings.size(), 2u);
  EXPECT_THAT(load_error([] { from({{"added_tokens_decoder", {{"x", {{"content", "a"}}}}}}); }),
              HasSubstr("\"x\" is not a token id"));
}

TEST(TokenizerSettings, FilesMustHoldObjects) {
  EXPECT_THAT(load_error([] { from(json::array()); }), HasSubstr("dir/tokenizer_config.json: must hold a JSON object"));
  EXPECT_THAT(load_error([] { from(nullptr, 3); }), HasSubstr("dir/special_tokens_map.json: must hold a JSON object"));
  EXPECT_THAT(load_error([] { from(nullptr, nullptr, "x"); }), HasSubstr("dir/added_tokens.json: must hold a JSON object"));
  EXPECT_THAT(load_error([] { from({{"do_lower_case", "no"}}); }), HasSubstr("do_lower_case must be true, false or null"));
}

TEST_F(TokenizerFilesDir, AbsentFilesGiveDefaults) {
  const TokenizerSettings s = load_tokenizer_settings(dir_.string());
  EXPECT_TRUE(s.files_read.empty());
  EXPECT_TRUE(s.do_lower_case);
  EXPECT_TRUE(s.warnings.empty());
}

TEST_F(TokenizerFilesDir, ReadsTheFiles) {
  write("tokenizer_config.json", R"({"do_lower_case": false, "tokenizer_class": "BertTokenizer"})");
  write("special_tokens_map.json", R"({"unk_token": "<unk>"})");
  write("added_tokens.json", R"({"<new>": 21128})");
  const TokenizerSettings s = load_tokenizer_settings(dir_.string());
  EXPECT_EQ(s.files_read, (std::vector<std::string>{"tokenizer_config.json", "special_tokens_map.json", "added_tokens.json"}));
  EXPECT_FALSE(s.do_lower_case);
  EXPECT_EQ(s.unk_token, "<unk>");
  ASSERT_EQ(s.added_tokens.size(), 1u);
  EXPECT_EQ(s.added_tokens[0].content, "<new>");
}

TEST_F(TokenizerFilesDir, MalformedJsonNamesTheFile) {
  for (const char* name : {"tokenizer_config.json", "special_tokens_map.json", "added_tokens.json"}) {
    SCOPED_TRACE(name);
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    write(name, "{\"do_lower_case\": tru");
    const std::string message = load_error([&] { load_tokenizer_settings(dir_.string()); });
    EXPECT_THAT(message, HasSubstr((dir_ / name).string() + ": not valid JSON"));
    EXPECT_THAT(message, HasSubstr("parse error"));
  }
}

TEST_F(TokenizerFilesDir, WarnsThatTokenizerJsonIsNotRead) {
  write("tokenizer.json", "{}");
  const TokenizerSettings s = load_tokenizer_settings(dir_.string());
  ASSERT_EQ(s.warnings.size(), 1u);
  EXPECT_THAT(s.warnings[0], HasSubstr("tokenizer.json is not read"));
}

}  // namespace
}  // namespace uninlu
