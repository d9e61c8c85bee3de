#include "http/predict_request.h"

#include <gtest/gtest.h>

#include "core/error.h"

namespace uninlu {
namespace {

using Json = nlohmann::ordered_json;

// The message of the Error that `f` throws, which must be of `kind`.
template <typename F>
std::string error_of(F&& f, ErrorKind kind = ErrorKind::InvalidInput) {
  try {
    f();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), kind) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "expected an error";
  return {};
}

TEST(ParseJsonBody, SaysWhereMalformedJsonBreaks) {
  const std::string message = error_of([] { parse_json_body("{\"text\": \"a\",\n \"schema\": }"); });
  EXPECT_NE(message.find("malformed JSON"), std::string::npos) << message;
  EXPECT_NE(message.find("line 2"), std::string::npos) << message;
  EXPECT_EQ(message.find("[json.exception"), std::string::npos) << message;
}

TEST(ParseJsonBody, EmptyBodyExplainsWhatToSend) {
  EXPECT_NE(error_of([] { parse_json_body(" \n"); }).find("request body is empty"), std::string::npos);
}

TEST(ParseJsonBody, RefusesDeepNestingBeforeParsing) {
  const auto nested = [](std::size_t levels) {
    std::string schema;
    for (std::size_t i = 0; i < levels; ++i) schema += R"({"a":)";
    schema += "null";
    schema += std::string(levels, '}');
    return R"({"text": "x", "schema": )" + schema + "}";
  };
  EXPECT_NO_THROW(parse_json_body(nested(kMaxJsonDepth - 1)));  // + the request object itself
  const std::string message = error_of([&] { parse_json_body(nested(200000)); }, ErrorKind::LimitExceeded);
  EXPECT_NE(message.find("levels deep"), std::string::npos) << message;
  // Brackets inside strings are text, not nesting.
  EXPECT_NO_THROW(parse_json_body(R"({"text": ")" + std::string(100000, '[') + R"(\"[", "schema": {}})"));
}

TEST(ParseJsonBody, KeepsSchemaKeyOrderAndLastDuplicate) {
  const Json body = parse_json_body(R"({"schema": {"b": null, "a": null, "b": {"c": null}}})");
  const Json& schema = body["schema"];
  ASSERT_EQ(schema.size(), 2u);
  EXPECT_EQ(schema.begin().key(), "b");
  EXPECT_TRUE(schema["b"].is_object());  // the last value wins, the first position stays (Python's json)
}

TEST(ParsePredictItem, AcceptsObjectOrStringSchema) {
  const PredictRequest a = parse_predict_item(Json::parse(R"({"text": "华为", "schema": {"公司": null}})"), "r1");
  EXPECT_EQ(a.text, "华为");
  EXPECT_TRUE(a.schema.is_object());
  EXPECT_FALSE(a.output_all_prefix);
  EXPECT_EQ(a.request_id, "r1");

  const PredictRequest b = parse_predict_item(
      Json::parse(R"({"text": "x", "schema": "{\"公司\":null}", "output_all_prefix": true, "extra": 1})"), "r2");
  EXPECT_TRUE(b.schema.is_string());
  EXPECT_TRUE(b.output_all_prefix);
}

TEST(ParsePredictItem, NamesMissingFields) {
  EXPECT_NE(error_of([] { parse_predict_item(Json::parse(R"({"schema": {}})"), ""); }).find(R"(missing field "text")"),
            std::string::npos);
  EXPECT_NE(error_of([] { parse_predict_item(Json::parse(R"({"text": "a"})"), ""); }).find(R"(missing field "schema")"),
            std::string::npos);
}

TEST(ParsePredictItem, NamesWrongTypes) {
  EXPECT_EQ(error_of([] { parse_predict_item(Json::parse(R"({"text": 5, "schema": {}})"), ""); }),
            "text must be a string, not number");
  EXPECT_EQ(error_of([] { parse_predict_item(Json::parse(R"({"text": null, "schema": {}})"), ""); }),
            "text must be a string, not null");
  EXPECT_NE(error_of([] {
              parse_predict_item(Json::parse(R"({"text": "a", "schema": [1]})"), "");
            }).find("schema must be an object or a string holding a JSON object, not array"),
            std::string::npos);
  EXPECT_EQ(error_of([] {
              parse_predict_item(Json::parse(R"({"text": "a", "schema": {}, "output_all_prefix": "yes"})"), "");
            }),
            "output_all_prefix must be true or false, not string");
  EXPECT_NE(error_of([] { parse_predict_item(Json::parse("[1]"), ""); }).find("not array"), std::string::npos);
  EXPECT_NE(error_of([] { parse_predict_item(Json::parse("true"), ""); }).find("not boolean"), std::string::npos);
}

TEST(UnsupportedContentType, IsLenientButRefusesForms) {
  EXPECT_FALSE(unsupported_content_type(""));
  EXPECT_FALSE(unsupported_content_type("application/json"));
  EXPECT_FALSE(unsupported_content_type("application/json; charset=utf-8"));
  EXPECT_FALSE(unsupported_content_type("text/plain"));
  EXPECT_FALSE(unsupported_content_type("application/vnd.api+json"));
  const auto form = unsupported_content_type("application/x-www-form-urlencoded");
  ASSERT_TRUE(form);
  EXPECT_NE(form->find("Content-Type: application/json"), std::string::npos);
  EXPECT_TRUE(unsupported_content_type("Multipart/Form-Data; boundary=x"));
}

}  // namespace
}  // namespace uninlu
