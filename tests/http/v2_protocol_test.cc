// The Open Inference Protocol's parsing and answers, without HTTP (v2_protocol.h).
#include "http/v2_protocol.h"

#include <gtest/gtest.h>

#include "core/error.h"

namespace uninlu {
namespace {

using Json = nlohmann::ordered_json;

Json request_with(Json inputs) { return Json{{"inputs", std::move(inputs)}}; }

Json bytes(std::string name, Json shape, Json data) {
  return Json{{"name", std::move(name)}, {"shape", std::move(shape)}, {"datatype", "BYTES"}, {"data", std::move(data)}};
}

Json two_texts_one_schema() {
  return request_with(
      Json::array({bytes("text", {2}, {"张三在北京", "李四"}), bytes("schema", {1}, {R"({"人物": null})"})}));
}

// Runs the parser and returns the error it threw; fails the test when it threw none.
Error parse_error(const Json& body, std::size_t max_items = 64) {
  try {
    parse_v2_infer_request(body, max_items);
  } catch (const Error& e) {
    return e;
  }
  ADD_FAILURE() << "accepted: " << body.dump();
  return Error(ErrorKind::Internal, "");
}

void expect_invalid(const Json& body, const std::string& words) {
  const Error e = parse_error(body);
  EXPECT_EQ(e.kind(), ErrorKind::InvalidInput) << e.what();
  EXPECT_NE(std::string(e.what()).find(words), std::string::npos) << e.what() << " (wanted: " << words << ")";
}

TEST(V2Protocol, OneSchemaServesEveryText) {
  const V2InferRequest r = parse_v2_infer_request(two_texts_one_schema(), 64);
  ASSERT_EQ(r.texts.size(), 2u);
  EXPECT_FALSE(r.id.has_value());
  EXPECT_FALSE(r.output_all_prefix);
  const PredictRequest second = v2_predict_request(r, 1, "rid.1");
  EXPECT_EQ(second.text, "李四");
  EXPECT_EQ(second.schema, Json(R"({"人物": null})"));  // the string, parsed by the pipeline as for /api/predict
  EXPECT_EQ(second.request_id, "rid.1");
}

TEST(V2Protocol, SchemaPerTextAndFlagAndId) {
  Json body = request_with(
      Json::array({bytes("text", {2}, {"a", "b"}), bytes("schema", {2}, {R"({"x": null})", R"({"y": null})"}),
                   Json{{"name", "output_all_prefix"}, {"shape", {1}}, {"datatype", "BOOL"}, {"data", {true}}}}));
  body["id"] = "42";
  body["parameters"] = Json{{"priority", 1}, {"note", "x"}, {"binary_data_output", false}};
  body["outputs"] = Json::array({Json{{"name", "result"}, {"parameters", {{"binary_data", true}}}}});
  const V2InferRequest r = parse_v2_infer_request(body, 64);
  EXPECT_EQ(r.id, "42");
  EXPECT_TRUE(r.output_all_prefix);
  EXPECT_EQ(v2_predict_request(r, 0, "r").schema, Json(R"({"x": null})"));
  EXPECT_EQ(v2_predict_request(r, 1, "r").schema, Json(R"({"y": null})"));
  EXPECT_TRUE(v2_predict_request(r, 1, "r").output_all_prefix);
}

TEST(V2Protocol, NestedDataIsReadRowMajor) {
  const Json body = request_with(Json::array(
      {bytes("text", {2, 2}, Json::parse(R"([["a", "b"], ["c", "d"]])")), bytes("schema", Json::array(), {"{}"})}));
  const V2InferRequest r = parse_v2_infer_request(body, 64);
  ASSERT_EQ(r.texts, (std::vector<std::string>{"a", "b", "c", "d"}));
}

TEST(V2Protocol, RejectsWhatTheModelDoesNotTake) {
  const Json schema = bytes("schema", {1}, {"{}"});
  expect_invalid(Json::array(), "must be a JSON object");
  expect_invalid(Json{{"id", 1}}, "\"id\" must be a string");
  expect_invalid(Json::object(), "missing \"inputs\"");
  expect_invalid(request_with(Json::array({schema})), "missing input \"text\"");
  expect_invalid(request_with(Json::array({bytes("text", {1}, {"a"})})), "missing input \"schema\"");
  expect_invalid(request_with(Json::array({bytes("text", {1}, {"a"}), schema, bytes("image", {1}, {"x"})})),
                 "unknown input \"image\"");
  expect_invalid(request_with(Json::array({bytes("text", {1}, {"a"}), bytes("text", {1}, {"b"}), schema})),
                 "given twice");
  expect_invalid(request_with(Json::array({bytes("text", {3}, {"a", "b"}), schema})),
                 "\"data\" has 2 elements but shape [3] needs 3");
  expect_invalid(request_with(Json::array({bytes("text", {-1}, {"a"}), schema})), "non-negative integers");
  expect_invalid(request_with(Json::array({bytes("text", {0}, Json::array()), schema})), "no elements");
  expect_invalid(request_with(Json::array({bytes("text", {1}, {7}), schema})), "element 0 must be a string");
  expect_invalid(request_with(Json::array({bytes("text", {3}, {"a", "b", "c"}), bytes("schema", {2}, {"{}", "{}"})})),
                 "needs 1 (for every text) or 3");
  Json fp32 = bytes("text", {1}, {"a"});
  fp32["datatype"] = "FP32";
  expect_invalid(request_with(Json::array({fp32, schema})), "datatype must be BYTES");
  Json flag{{"name", "output_all_prefix"}, {"shape", {1}}, {"datatype", "BOOL"}, {"data", {1}}};
  expect_invalid(request_with(Json::array({bytes("text", {1}, {"a"}), schema, flag})), "true or false");
  Json binary = bytes("text", {1}, {"a"});
  binary["parameters"] = Json{{"binary_data_size", 5}};
  expect_invalid(request_with(Json::array({binary, schema})), "binary tensor data");
  Json unknown_output = two_texts_one_schema();
  unknown_output["outputs"] = Json::array({Json{{"name", "logits"}}});
  expect_invalid(unknown_output, "unknown output \"logits\"");
  Json bad_parameter = two_texts_one_schema();
  bad_parameter["parameters"] = Json{{"x", Json::array()}};
  expect_invalid(bad_parameter, "parameters.x must be a string, number or boolean");
}

TEST(V2Protocol, TooManyTextsIsALimit) {
  const Error e = parse_error(two_texts_one_schema(), 1);
  EXPECT_EQ(e.kind(), ErrorKind::LimitExceeded);
  EXPECT_NE(std::string(e.what()).find("at most 1"), std::string::npos) << e.what();
}

TEST(V2Protocol, ModelPaths) {
  using Action = V2ModelPath::Action;
  const auto metadata = parse_v2_model_path("/v2/models/uie");
  ASSERT_TRUE(metadata);
  EXPECT_EQ(metadata->model, "uie");
  EXPECT_FALSE(metadata->version);
  EXPECT_EQ(metadata->action, Action::Metadata);
  const auto infer = parse_v2_model_path("/v2/models/my%20model/versions/1/infer");
  ASSERT_TRUE(infer);
  EXPECT_EQ(infer->model, "my model");
  EXPECT_EQ(infer->version, "1");
  EXPECT_EQ(infer->action, Action::Infer);
  EXPECT_EQ(parse_v2_model_path("/v2/models/m/ready")->action, Action::Ready);
  EXPECT_EQ(parse_v2_model_path("/v2/models/m/versions/2")->version, "2");
  EXPECT_FALSE(parse_v2_model_path("/v2/models/"));
  EXPECT_FALSE(parse_v2_model_path("/v2/models/m/stats"));
  EXPECT_FALSE(parse_v2_model_path("/v2/models/m/versions//infer"));
  EXPECT_FALSE(parse_v2_model_path("/v2/models/m/infer/more"));
}

TEST(V2Protocol, Answers) {
  const V2Model model{"uninlu"};
  const Json metadata = v2_model_metadata(model);
  EXPECT_EQ(metadata["name"], "uninlu");
  EXPECT_EQ(metadata["versions"], Json::parse(R"(["1"])"));
  EXPECT_EQ(metadata["inputs"][0], Json::parse(R"({"name": "text", "datatype": "BYTES", "shape": [-1]})"));
  EXPECT_EQ(metadata["outputs"], Json::parse(R"([{"name": "result", "datatype": "BYTES", "shape": [-1]}])"));
  EXPECT_EQ(v2_server_metadata("1.2.3"), Json::parse(R"({"name": "uninlu", "version": "1.2.3", "extensions": ["model_repository"]})"));
  EXPECT_EQ(v2_model_ready(model, false), Json::parse(R"({"name": "uninlu", "ready": false})"));

  const std::vector<std::string> results = {R"({"output":[[{"type":"人物","span":"张三","offset":[0,2]}]]})",
                                            R"({"output":[[]]})"};
  const Json answer = v2_infer_response(model, std::string("42"), results);
  EXPECT_EQ(answer["model_name"], "uninlu");
  EXPECT_EQ(answer["model_version"], "1");
  EXPECT_EQ(answer["id"], "42");
  const Json& out = answer["outputs"][0];
  EXPECT_EQ(out["name"], "result");
  EXPECT_EQ(out["datatype"], "BYTES");
  EXPECT_EQ(out["shape"], Json::parse("[2]"));
  EXPECT_EQ(out["data"][0], results[0]);  // the JSON text of the result, as the service wrote it
  EXPECT_EQ(out["data"][1], R"({"output":[[]]})");
  EXPECT_FALSE(v2_infer_response(model, std::nullopt, results).contains("id"));
  EXPECT_EQ(v2_error_body("bad"), Json::parse(R"({"error": "bad"})"));
}

TEST(V2Protocol, ResultsFinishOnceAndTheFirstFailedTextByIndexWins) {
  const auto ok = [](std::string json) {
    PredictResult result;
    result.output_json = std::move(json);
    return PredictOutcome{std::move(result), std::nullopt};
  };
  const auto failed = [](ErrorKind kind, std::string what) { return PredictOutcome{std::nullopt, Error(kind, what)}; };

  V2InferResults all_in(2);
  EXPECT_FALSE(all_in.complete(1, ok("b")));
  EXPECT_FALSE(all_in.complete(0, ok("a")));
  EXPECT_TRUE(all_in.release());  // the submitting loop's share is the last
  EXPECT_FALSE(all_in.error());
  EXPECT_EQ(all_in.results(), (std::vector<std::string>{"a", "b"}));

  V2InferResults two_failed(3);
  EXPECT_FALSE(two_failed.release());
  EXPECT_FALSE(two_failed.complete(2, failed(ErrorKind::Timeout, "late")));
  EXPECT_FALSE(two_failed.complete(0, ok("a")));
  EXPECT_TRUE(two_failed.complete(1, failed(ErrorKind::InvalidInput, "bad")));
  ASSERT_TRUE(two_failed.error());
  EXPECT_EQ(two_failed.error()->kind(), ErrorKind::InvalidInput);
  EXPECT_STREQ(two_failed.error()->what(), "text 1: bad");

  V2InferResults one(1);
  EXPECT_FALSE(one.complete(0, failed(ErrorKind::Timeout, "late")));
  EXPECT_TRUE(one.release());
  EXPECT_STREQ(one.error()->what(), "late");  // no index for a single text
}

}  // namespace
}  // namespace uninlu
