#pragma once
// The body of POST /api/predict, checked before anything is queued. Messages name the field and what was
// wrong, so that a person can fix the request from the error alone. The schema itself is checked by the
// pipeline (Service::predict throws), not here.
#include <nlohmann/json.hpp>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "serving/service.h"

namespace uninlu {

// application/json, text/plain, any */*+json type and a missing Content-Type are read as JSON (the old
// app's clients send all of these). Form encodings are refused: returns the message for a 415.
std::optional<std::string> unsupported_content_type(std::string_view content_type);

// JSON nested deeper than this is refused before it is parsed: copying or walking such a value recurses
// once per level, and a 1 MiB body could otherwise nest 500000 levels and overflow a thread's stack.
// Real requests need 2 levels plus the schema's depth (limits.max_schema_depth, 6 by default).
inline constexpr std::size_t kMaxJsonDepth = 512;

// Parses the body; Error(InvalidInput) says where the JSON broke, or that the body is empty;
// Error(LimitExceeded) for nesting deeper than kMaxJsonDepth.
nlohmann::ordered_json parse_json_body(std::string_view body);

// One request object {"text": str, "schema": object|string, "output_all_prefix"?: bool, "model"?: str}
// ("model": which of the server's models answers it; absent or null: the first); other keys are
// ignored, as the old app ignored them. Error(InvalidInput) for a missing field or a wrong type.
// Takes the item by value so that callers can move a large schema in instead of copying it.
PredictRequest parse_predict_item(nlohmann::ordered_json item, std::string request_id);

// "number", "array", ... as a person says it ("boolean" for true/false).
std::string json_type_name(const nlohmann::ordered_json& value);

}  // namespace uninlu
