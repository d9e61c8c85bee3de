// The direct JSON writer against nlohmann's dump (what the HTTP layer wrote before): byte for byte.
#include "pipeline/json_writer.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "pipeline/prediction.h"

namespace uninlu {
namespace {

std::string nlohmann_dump(const nlohmann::ordered_json& j) {
  return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

std::string written(std::string_view s) {
  std::string out;
  append_json_string(out, s);
  return out;
}

TEST(JsonWriter, StringsEscapeAsNlohmannDoes) {
  std::vector<std::string> cases = {"", "plain", "华为 在东莞", "quote \" back \\ slash /", "\b\t\n\f\r", "\x7f del",
                                    "emoji 😀 and U+2028 \xe2\x80\xa8", std::string("nul \0 inside", 12)};
  for (int c = 0; c < 0x20; ++c) cases.push_back(std::string("<") + static_cast<char>(c) + ">");
  // Invalid UTF-8: a lone continuation byte, a truncated sequence, an overlong form, a surrogate.
  for (const char* bad : {"a\x80z", "tail \xe5\x8d", "\xc0\xaf", "\xed\xa0\x80 x"}) cases.push_back(bad);
  for (const auto& s : cases) EXPECT_EQ(written(s), nlohmann_dump(nlohmann::ordered_json(s))) << s;
}

TEST(JsonWriter, IntegersPrintAsNlohmannDoes) {
  for (std::int64_t v : {0LL, 7LL, -3LL, 2147483647LL, -9223372036854775807LL}) {
    std::string out;
    append_json_int(out, v);
    EXPECT_EQ(out, nlohmann_dump(nlohmann::ordered_json(v)));
  }
}

TEST(JsonWriter, ResultsMatchResultsToJson) {
  const std::vector<ResultChain> results = {
      {{"公司", "华为", 0, 2}},
      {{"人物", "谷口清太郎", 20, 25}, {"毕业院校", "北大", 7, 9}},
      {{"type \"q\"", "", 5, 4}},
  };
  std::string out;
  append_results_json(out, results);
  EXPECT_EQ(out, nlohmann_dump(results_to_json(results)));
  std::string empty;
  append_results_json(empty, {});
  EXPECT_EQ(empty, nlohmann_dump(results_to_json({})));
}

}  // namespace
}  // namespace uninlu
