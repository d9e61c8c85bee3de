// GET /openapi.json serves the compiled-in document, which must be JSON of OpenAPI 3.1 (its validity
// against the specification is checked by tests/openapi, its examples by the integration tests).
#include "http/openapi_route.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace uninlu {
namespace {

TEST(OpenApiRoute, ServesTheDocument) {
  Router router;
  install_openapi_route(router);
  HttpRequest request;
  request.method = "GET";
  request.path = "/openapi.json";
  HttpResponse answer;
  Exchange exchange{request, {}, [&answer](HttpResponse r) { answer = std::move(r); }, [](RequestId) {}};
  EXPECT_EQ(router.dispatch(exchange), "/openapi.json");
  EXPECT_EQ(answer.status, 200);
  EXPECT_EQ(answer.content_type, "application/json");
  EXPECT_EQ(answer.body, openapi_document());
  const auto doc = nlohmann::json::parse(answer.body);
  EXPECT_EQ(doc["openapi"], "3.1.0");
  EXPECT_TRUE(doc["paths"].contains("/v2/models/{model}/infer"));
}

}  // namespace
}  // namespace uninlu
