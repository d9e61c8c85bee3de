#include "pipeline/schema.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/error.h"

namespace uninlu {
namespace {

using ::testing::HasSubstr;

std::vector<std::string> keys(const SchemaNode& node) {
  std::vector<std::string> out;
  for (const auto& e : node.entries) out.push_back(e.key);
  return out;
}

ErrorKind error_of(const std::string& json, std::string* message = nullptr, PipelineLimits limits = {}) {
  try {
    Schema::parse(json, limits);
  } catch (const Error& e) {
    if (message) *message = e.what();
    return e.kind();
  }
  ADD_FAILURE() << "no error for " << json;
  return ErrorKind::Internal;
}

TEST(Schema, KeepsKeyOrderAndNesting) {
  const Schema s = Schema::parse(R"J({"组织机构": null, "人物": {"比赛项目(赛事名称)": null, "时间": null}, "地理位置": null})J", {});
  EXPECT_THAT(keys(s.root()), ::testing::ElementsAre("组织机构", "人物", "地理位置"));
  ASSERT_NE(s.root().entries[1].child, nullptr);
  EXPECT_THAT(keys(*s.root().entries[1].child), ::testing::ElementsAre("比赛项目(赛事名称)", "时间"));
  EXPECT_EQ(s.root().entries[0].child, nullptr);
  EXPECT_EQ(s.depth(), 2u);
  EXPECT_EQ(s.key_count(), 5u);
}

TEST(Schema, DuplicateKeysFollowPythonJsonLoads) {
  // json.loads keeps the first position of a repeated key and the last value.
  const Schema s = Schema::parse(R"J({"a": null, "b": null, "a": {"c": null}})J", {});
  EXPECT_THAT(keys(s.root()), ::testing::ElementsAre("a", "b"));
  ASSERT_NE(s.root().entries[0].child, nullptr);
  EXPECT_THAT(keys(*s.root().entries[0].child), ::testing::ElementsAre("c"));
}

TEST(Schema, AcceptsObjectOrStringHoldingOne) {
  const auto object = nlohmann::ordered_json::parse(R"J({"x": null, "y": null})J");
  EXPECT_THAT(keys(Schema::from_json(object, {}).root()), ::testing::ElementsAre("x", "y"));
  EXPECT_THAT(keys(Schema::from_json(nlohmann::ordered_json(R"J({"y": null, "x": null})J"), {}).root()),
              ::testing::ElementsAre("y", "x"));
}

TEST(Schema, RejectsBadShapesWithSpecificMessages) {
  std::string msg;
  EXPECT_EQ(error_of("[1, 2]", &msg), ErrorKind::InvalidInput);
  EXPECT_THAT(msg, HasSubstr("must hold a JSON object, not array"));
  EXPECT_EQ(error_of("{\"a\": nul}", &msg), ErrorKind::InvalidInput);
  EXPECT_THAT(msg, HasSubstr("schema string is not valid JSON"));
  EXPECT_EQ(error_of("{}", &msg), ErrorKind::InvalidInput);
  EXPECT_THAT(msg, HasSubstr("schema is empty"));
  EXPECT_EQ(error_of(R"J({"a": {}})J", &msg), ErrorKind::InvalidInput);
  EXPECT_THAT(msg, HasSubstr(R"J(schema["a"] is an empty object)J"));
  EXPECT_EQ(error_of(R"J({"": null})J", &msg), ErrorKind::InvalidInput);
  EXPECT_THAT(msg, HasSubstr("empty key"));
  EXPECT_EQ(error_of(R"J({"a": {"b": 3}})J", &msg), ErrorKind::InvalidInput);
  EXPECT_THAT(msg, HasSubstr(R"J(schema value at schema["a"]["b"] must be null or an object, not number)J"));
  EXPECT_EQ(error_of(R"J({"a": ["b"]})J", &msg), ErrorKind::InvalidInput);
  EXPECT_THAT(msg, HasSubstr("not array"));
  try {
    Schema::from_json(nlohmann::ordered_json(42), {});
    FAIL();
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("schema must be a JSON object or a string holding one, not number"));
  }
}

TEST(Schema, EnforcesLimits) {
  PipelineLimits limits;
  limits.max_schema_depth = 2;
  limits.max_schema_keys = 3;
  limits.max_key_chars = 4;
  std::string msg;
  EXPECT_EQ(error_of(R"J({"a": {"b": {"c": null}}})J", &msg, limits), ErrorKind::LimitExceeded);
  EXPECT_THAT(msg, HasSubstr("max_schema_depth"));
  EXPECT_NO_THROW(Schema::parse(R"J({"a": {"b": null}})J", limits));
  EXPECT_EQ(error_of(R"J({"a": null, "b": null, "c": null, "d": null})J", &msg, limits), ErrorKind::LimitExceeded);
  EXPECT_THAT(msg, HasSubstr("max_schema_keys"));
  EXPECT_EQ(error_of(R"J({"地理位置x": null})J", &msg, limits), ErrorKind::LimitExceeded);
  EXPECT_THAT(msg, HasSubstr("max_key_chars"));
  EXPECT_NO_THROW(Schema::parse(R"J({"地理位置": null})J", limits));  // 4 characters, 12 bytes
}

TEST(Schema, RoundTripsToJson) {
  const std::string text = R"J({"胜负(事件触发词)":{"时间":null,"败者":null},"人物":null})J";
  EXPECT_EQ(Schema::parse(text, {}).to_json().dump(-1, ' ', false), text);
}

}  // namespace
}  // namespace uninlu
