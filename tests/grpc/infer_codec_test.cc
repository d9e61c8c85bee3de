#include "grpc/infer_codec.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "core/error.h"
#include "grpc/status_codes.h"

namespace uninlu {
namespace {

using Tensor = inference::ModelInferRequest::InferInputTensor;

Tensor bytes_tensor(const std::string& name, const std::vector<std::string>& values, std::int64_t dim = -1) {
  Tensor t;
  t.set_name(name);
  t.set_datatype("BYTES");
  t.add_shape(dim >= 0 ? dim : static_cast<std::int64_t>(values.size()));
  for (const auto& v : values) t.mutable_contents()->add_bytes_contents(v);
  return t;
}

inference::ModelInferRequest request_of(std::vector<Tensor> inputs) {
  inference::ModelInferRequest r;
  r.set_model_name("m");
  for (auto& t : inputs) *r.add_inputs() = std::move(t);
  return r;
}

std::string raw(const std::vector<std::string>& values) {
  std::string out;
  for (const auto& v : values) {
    const auto n = static_cast<std::uint32_t>(v.size());
    for (int b = 0; b < 4; ++b) out.push_back(static_cast<char>((n >> (8 * b)) & 0xff));
    out += v;
  }
  return out;
}

// The error kind and message of parsing `r`, or "ok".
std::string outcome(const inference::ModelInferRequest& r, std::size_t max_items = 64) {
  try {
    parse_grpc_infer_request(r, max_items);
    return "ok";
  } catch (const Error& e) {
    return std::string(error_kind_name(e.kind())) + ": " + e.what();
  }
}

TEST(GrpcInferCodec, ReadsContentsAsTheRestRequest) {
  auto r = request_of({bytes_tensor("text", {"a", "b"}), bytes_tensor("schema", {"{}"})});
  Tensor flag;
  flag.set_name("output_all_prefix");
  flag.set_datatype("BOOL");
  flag.add_shape(1);
  flag.mutable_contents()->add_bool_contents(true);
  *r.add_inputs() = flag;
  r.set_id("7");
  const V2InferRequest parsed = parse_grpc_infer_request(r, 64);
  EXPECT_EQ(parsed.texts, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(parsed.schemas, (std::vector<std::string>{"{}"}));
  EXPECT_TRUE(parsed.output_all_prefix);
  EXPECT_EQ(parsed.id, "7");
}

TEST(GrpcInferCodec, ReadsRawContents) {
  Tensor text = bytes_tensor("text", {}, 2);
  Tensor schema = bytes_tensor("schema", {}, 1);
  auto r = request_of({text, schema});
  r.add_raw_input_contents(raw({"", "华为"}));  // an empty element is still an element
  r.add_raw_input_contents(raw({"{}"}));
  const V2InferRequest parsed = parse_grpc_infer_request(r, 64);
  EXPECT_EQ(parsed.texts, (std::vector<std::string>{"", "华为"}));
  EXPECT_EQ(parsed.schemas, (std::vector<std::string>{"{}"}));
}

TEST(GrpcInferCodec, RefusesWhatRestRefuses) {
  EXPECT_EQ(outcome(request_of({bytes_tensor("text", {"a"})})),
            R"(invalid_input: missing input "schema" (BYTES, shape [N] or [1]: a JSON object such as {"人物": null}))");
  EXPECT_EQ(outcome(request_of({bytes_tensor("text", {"a", "b"}, 3), bytes_tensor("schema", {"{}"})})),
            R"(invalid_input: input "text": contents.bytes_contents has 2 elements but shape [3] needs 3)");
  EXPECT_EQ(outcome(request_of({bytes_tensor("text", {"a", "b"}), bytes_tensor("schema", {"{}"})}), 1),
            R"(limit_exceeded: input "text" has 2 elements; at most 1 are allowed (max_batch_items): split it)");
  Tensor wrong = bytes_tensor("text", {"a"});
  wrong.set_datatype("INT32");
  EXPECT_EQ(outcome(request_of({wrong, bytes_tensor("schema", {"{}"})})),
            R"(invalid_input: input "text": datatype must be BYTES (strings), not INT32)");
}

TEST(GrpcInferCodec, RefusesMalformedRawContents) {
  auto r = request_of({bytes_tensor("text", {}, 1), bytes_tensor("schema", {}, 1)});
  r.add_raw_input_contents(std::string("\x05\x00\x00\x00" "ab", 6));
  r.add_raw_input_contents(raw({"{}"}));
  EXPECT_EQ(outcome(r), "invalid_input: input \"text\": raw contents end inside an element (5 bytes announced, 2 left)");
  r.mutable_raw_input_contents()->RemoveLast();
  EXPECT_EQ(outcome(r), "invalid_input: raw_input_contents has 1 entries; it needs one per input (2)");
}

TEST(GrpcInferCodec, AnswersInTheRequestsForm) {
  V2InferRequest request;
  request.texts = {"a", "b"};
  request.id = "x";
  const std::vector<std::string> results{R"({"output":1})", R"({"output":2})"};
  inference::ModelInferResponse plain;
  fill_grpc_infer_response(V2Model{"m"}, request, false, results, plain);
  EXPECT_EQ(plain.model_name(), "m");
  EXPECT_EQ(plain.id(), "x");
  ASSERT_EQ(plain.outputs_size(), 1);
  EXPECT_EQ(plain.outputs(0).shape(0), 2);
  EXPECT_EQ(plain.outputs(0).contents().bytes_contents(1), R"({"output":2})");
  inference::ModelInferResponse raw_answer;
  fill_grpc_infer_response(V2Model{"m"}, request, true, results, raw_answer);
  ASSERT_EQ(raw_answer.raw_output_contents_size(), 1);
  EXPECT_EQ(raw_answer.raw_output_contents(0), raw({R"({"output":1})", R"({"output":2})"}));
  EXPECT_EQ(raw_answer.outputs(0).contents().bytes_contents_size(), 0);
}

TEST(GrpcStatusCodes, MapEveryKind) {
  EXPECT_EQ(grpc_code(ErrorKind::InvalidInput), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(grpc_code(ErrorKind::LimitExceeded), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(grpc_code(ErrorKind::NotFound), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(grpc_code(ErrorKind::Overloaded), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(grpc_code(ErrorKind::Unavailable), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(grpc_code(ErrorKind::Timeout), grpc::StatusCode::DEADLINE_EXCEEDED);
  EXPECT_EQ(grpc_code(ErrorKind::Internal), grpc::StatusCode::INTERNAL);
  EXPECT_EQ(grpc_code_of_http(401), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(grpc_code_of_http(403), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(http_status_of(grpc::StatusCode::OK), 200);
  EXPECT_EQ(http_status_of(grpc::StatusCode::DEADLINE_EXCEEDED), 504);
}

}  // namespace
}  // namespace uninlu
