#pragma once
// GET /docs: the OpenAPI document rendered as one self-contained HTML page (no scripts, no CDN, works
// offline): every operation with its parameters, request body, responses and examples, then the schemas.
#include <nlohmann/json.hpp>
#include <string>

namespace uninlu {

std::string render_api_docs(const nlohmann::ordered_json& openapi);

}  // namespace uninlu
