#pragma once
// Writes JSON text directly, byte for byte as nlohmann::json's compact dump() with ensure_ascii off and
// invalid UTF-8 replaced (what the HTTP layer's to_json_text writes), without building a json tree
// first: for a large answer, building, copying and freeing the tree cost more than the rest of the
// request (docs/benchmarks.md, "The host path alone").
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace uninlu {

struct ResultItem;
using ResultChain = std::vector<ResultItem>;

// A JSON string: quotes, escapes as nlohmann does (\b \t \n \f \r \" \\, other control characters
// as \u00xx), and U+FFFD for invalid UTF-8.
void append_json_string(std::string& out, std::string_view s);
// The same for text known to be valid UTF-8 (schema keys and spans: parsed or validated on the way
// in), without the validation pass.
void append_valid_json_string(std::string& out, std::string_view s);

void append_json_int(std::string& out, std::int64_t value);

// [{"type":T,"span":S,"offset":[b,e]},...]: one chain.
void append_chain_json(std::string& out, const ResultChain& chain);

// {"output":[[{"type":T,"span":S,"offset":[b,e]},...],...]}: results_to_json(results).dump().
void append_results_json(std::string& out, const std::vector<ResultChain>& results);

}  // namespace uninlu
