#pragma once
// The request bodies a benchmark sends, in round-robin order: the load-test request by default, one
// --text/--schema pair, or every line of a JSON-lines file ({"text", "schema", "output_all_prefix"?}).
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace uninlu::bench {

// The reference load test's request (tests/load/locustfile.py, docs/performance.md).
inline constexpr const char* kSeedText = "华为在东莞松山湖建设了研发基地";
inline constexpr const char* kSeedSchema = "{\"公司\":null,\"地理位置\":null}";

struct RequestBodies {
  std::vector<nlohmann::ordered_json> items;  // {"text", "schema"[, "output_all_prefix"]}
  std::vector<std::string> bodies;            // the same, serialized for POST /api/predict
  std::string origin;                         // "seed request", "--text/--schema", "FILE (N lines)"
};

// From one text and schema (the schema as the JSON text a client would send in "schema").
RequestBodies bodies_from_text(const std::string& text, const std::string& schema);

// From a JSON-lines file: blank lines skipped; Error(InvalidInput) naming the line for anything else
// that is not an object with a string "text" and a "schema"; Error(Usage) when it cannot be read or
// holds no request.
RequestBodies bodies_from_file(const std::string& path);

}  // namespace uninlu::bench
