// The body of POST /api/predict as the route reads it: the JSON body, one object or a batch of them,
// each item's fields, then the schema the pipeline builds from it. Every refusal must be an
// uninlu::Error of a client kind (400 or 413), and a schema that parses must survive a round trip.
#include <cstdint>

#include "fuzz_support.h"
#include "http/predict_request.h"
#include "pipeline/schema.h"

namespace {

void check_item(nlohmann::ordered_json item) {
  const uninlu::PredictRequest request = uninlu::parse_predict_item(std::move(item), "fuzz");
  const uninlu::PipelineLimits limits;
  const uninlu::Schema schema = uninlu::Schema::from_json(request.schema, limits);
  if (schema.depth() == 0 || schema.depth() > limits.max_schema_depth || schema.key_count() == 0 ||
      schema.key_count() > limits.max_schema_keys) {
    uninlu::fuzz::finding("a schema outside the limits was accepted: " + schema.to_json().dump());
  }
  // The schema as the pipeline keeps it reads back to itself.
  const uninlu::Schema again = uninlu::Schema::from_json(schema.to_json(), limits);
  if (again.to_json() != schema.to_json()) uninlu::fuzz::finding("the schema does not round-trip");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using uninlu::ErrorKind;
  uninlu::fuzz::expect_refusals_only(
      [&] {
        nlohmann::ordered_json body = uninlu::parse_json_body(uninlu::fuzz::as_view(data, size));
        if (body.is_array()) {
          for (auto& item : body) {
            uninlu::fuzz::expect_refusals_only([&] { check_item(std::move(item)); },
                                               {ErrorKind::InvalidInput, ErrorKind::LimitExceeded});
          }
        } else {
          check_item(std::move(body));
        }
      },
      {ErrorKind::InvalidInput, ErrorKind::LimitExceeded});
  return 0;
}
