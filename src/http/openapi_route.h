#pragma once
// GET /openapi.json: the OpenAPI 3.1 document of every route (src/http/openapi.json, compiled in), and
// GET /docs: the same rendered as an HTML page (api_docs_page.h).
// tests/openapi validates it; tests/integration/test_openapi.py replays its examples on a real server.
#include <string_view>

#include "http/router.h"

namespace uninlu {

std::string_view openapi_document() noexcept;  // the JSON text, as in src/http/openapi.json

void install_openapi_route(Router& router);

}  // namespace uninlu
