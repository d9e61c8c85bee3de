#include "http/routes.h"

#include <gtest/gtest.h>

#include <future>
#include <memory>
#include <mutex>

#include "fake_service.h"
#include "http/web_assets.h"
#include "test_support.h"

namespace uninlu {
namespace {

using Json = nlohmann::ordered_json;
using testing::expect_error;
using testing::FakeService;

class RoutesTest : public ::testing::Test {
 protected:
  RoutesTest() { install_routes(router, service, RouteOptions{3, Json{{"port", 7860}}}); }

  // Dispatches like a session does and waits for the answer (which may come from the Service's thread).
  HttpResponse call(std::string method, std::string path, std::string body = {},
                    std::string content_type = "application/json") {
    HttpRequest request;
    request.method = std::move(method);
    request.path = std::move(path);
    request.target = request.path;
    request.body = std::move(body);
    request.content_type = std::move(content_type);
    request.request_id = "rid-7";
    auto answer = std::make_shared<std::promise<HttpResponse>>();
    auto once = std::make_shared<std::once_flag>();
    auto future = answer->get_future();
    Exchange exchange{
        request, std::chrono::steady_clock::now() + std::chrono::seconds(60),
        [answer, once](HttpResponse r) { std::call_once(*once, [&] { answer->set_value(std::move(r)); }); },
        [this](RequestId id) { tracked.push_back(id); }};
    router.dispatch(exchange);
    if (future.wait_for(std::chrono::seconds(20)) != std::future_status::ready) {
      ADD_FAILURE() << "no answer for " << request.method << " " << request.path;
      return {};
    }
    return future.get();
  }

  HttpResponse predict(const std::string& body, std::string content_type = "application/json") {
    return call("POST", "/api/predict", body, std::move(content_type));
  }

  FakeService service;
  Router router;
  std::vector<RequestId> tracked;
};

TEST_F(RoutesTest, PredictKeepsTheOriginalResultShape) {
  const HttpResponse r = predict(R"({"text": "华为", "schema": "{\"公司\":null,\"地理位置\":null}"})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.content_type, "application/json");
  const Json body = Json::parse(r.body);
  ASSERT_TRUE(body["result"]["output"].is_array());
  ASSERT_EQ(body["result"]["output"].size(), 2u);
  EXPECT_EQ(body["result"]["output"][0][0]["type"], "公司");
  EXPECT_EQ(body["result"]["output"][1][0]["type"], "地理位置");  // schema key order
  EXPECT_EQ(body["result"]["output"][0][0]["offset"], Json::parse("[0, 2]"));
  EXPECT_EQ(body["request_id"], "rid-7");
  EXPECT_TRUE(body["timing"].contains("total_ms"));
  EXPECT_EQ(body["devices"], Json::parse(R"(["fake:0"])"));
  EXPECT_EQ(tracked.size(), 1u);

  const auto received = service.received();
  ASSERT_EQ(received.size(), 1u);
  EXPECT_EQ(received[0].request_id, "rid-7");
}

TEST_F(RoutesTest, PredictPassesOutputAllPrefix) {
  ASSERT_EQ(predict(R"({"text": "a", "schema": {"x": null}, "output_all_prefix": true})").status, 200);
  EXPECT_TRUE(service.received().at(0).output_all_prefix);
}

TEST_F(RoutesTest, MalformedJsonIs400AndSaysWhere) {
  expect_error(predict(R"({"text": "a", "schema": )"), 400, "invalid_input", "column", "rid-7");
}

TEST_F(RoutesTest, BodyThatIsNotAnObjectIs400) {
  expect_error(predict("42"), 400, "invalid_input", "not number");
  expect_error(predict(""), 400, "invalid_input", "request body is empty");
}

TEST_F(RoutesTest, MissingFieldsAndWrongTypesAre400) {
  expect_error(predict(R"({"schema": {"x": null}})"), 400, "invalid_input", R"(missing field "text")");
  expect_error(predict(R"({"text": "a"})"), 400, "invalid_input", R"(missing field "schema")");
  expect_error(predict(R"({"text": 1, "schema": {"x": null}})"), 400, "invalid_input",
               "text must be a string, not number");
  expect_error(predict(R"({"text": "a", "schema": 3})"), 400, "invalid_input", "not number");
}

TEST_F(RoutesTest, ServiceValidationErrorsAreMapped) {
  expect_error(predict(R"({"text": "", "schema": {"x": null}})"), 400, "invalid_input", "text is empty");
  expect_error(predict(R"({"text": "a", "schema": "{not json"})"), 400, "invalid_input", "schema");
  expect_error(predict(R"({"text": "throw:limit_exceeded", "schema": {"x": null}})"), 413, "limit_exceeded", "thrown");
  expect_error(predict(R"({"text": "throw:unavailable", "schema": {"x": null}})"), 503, "unavailable", "thrown");
  expect_error(predict(R"({"text": "throw:internal", "schema": {"x": null}})"), 500, "internal", "thrown");
}

TEST_F(RoutesTest, OverloadIs429WithRetryAfter) {
  const HttpResponse r = predict(R"({"text": "throw:overloaded", "schema": {"x": null}})");
  expect_error(r, 429, "overloaded", "thrown");
  ASSERT_EQ(r.headers.size(), 1u);
  EXPECT_EQ(r.headers[0], (std::pair<std::string, std::string>{"Retry-After", "1"}));
}

TEST_F(RoutesTest, AsynchronousErrorsAreMapped) {
  expect_error(predict(R"({"text": "fail:timeout", "schema": {"x": null}})"), 504, "timeout", "failed as asked");
  expect_error(predict(R"({"text": "fail:unavailable", "schema": {"x": null}})"), 503, "unavailable", "failed");
}

TEST_F(RoutesTest, FormEncodingIs415ButPlainTextIsRead) {
  expect_error(predict(R"({"text": "a", "schema": {"x": null}})", "application/x-www-form-urlencoded"), 415,
               "unsupported_media_type", "application/json");
  EXPECT_EQ(predict(R"({"text": "a", "schema": {"x": null}})", "text/plain").status, 200);
  EXPECT_EQ(predict(R"({"text": "a", "schema": {"x": null}})", "").status, 200);
}

TEST_F(RoutesTest, BatchAnswersEveryItemInOrder) {
  const HttpResponse r = predict(R"([{"text": "sleep:30", "schema": {"x": null}},
                                     {"text": 5, "schema": {"x": null}},
                                     {"text": "fail:timeout", "schema": {"y": null}}])");
  ASSERT_EQ(r.status, 200) << r.body;
  const Json body = Json::parse(r.body);
  ASSERT_EQ(body["results"].size(), 3u);
  EXPECT_EQ(body["results"][0]["result"]["output"][0][0]["type"], "x");
  EXPECT_EQ(body["results"][1]["kind"], "invalid_input");
  EXPECT_EQ(body["results"][1]["error"], "text must be a string, not number");
  EXPECT_EQ(body["results"][1]["status"], 400);
  EXPECT_EQ(body["results"][2]["kind"], "timeout");
  EXPECT_EQ(body["request_id"], "rid-7");
  EXPECT_EQ(tracked.size(), 2u);
  const auto received = service.received();
  ASSERT_EQ(received.size(), 2u);
  EXPECT_EQ(received[0].request_id, "rid-7.0");
  EXPECT_EQ(received[1].request_id, "rid-7.2");
}

TEST_F(RoutesTest, BatchLimits) {
  expect_error(predict("[]"), 400, "invalid_input", "batch is empty");
  const std::string item = R"({"text": "a", "schema": {"x": null}})";
  expect_error(predict("[" + item + "," + item + "," + item + "," + item + "]"), 413, "limit_exceeded",
               "max_batch_items");
}

TEST_F(RoutesTest, HealthIsTheServiceHealth) {
  const HttpResponse r = call("GET", "/health");
  ASSERT_EQ(r.status, 200);
  const Json body = Json::parse(r.body);
  for (const char* key : {"status", "gpu_utilization", "gpu_memory_used", "gpu_memory_total"}) {
    EXPECT_TRUE(body.contains(key)) << key;
  }
}

TEST_F(RoutesTest, FallbackAndRestore) {
  EXPECT_EQ(Json::parse(call("POST", "/api/fallback").body)["status"], "switched_to_cpu");
  EXPECT_EQ(Json::parse(call("GET", "/health").body)["fallback_active"], true);
  EXPECT_EQ(Json::parse(call("POST", "/api/restore").body)["status"], "restored");
  expect_error(call("GET", "/api/fallback"), 405, "method_not_allowed", "POST");
}

TEST_F(RoutesTest, KServeProbes) {
  EXPECT_EQ(call("GET", "/v2/health/live").status, 200);
  HttpResponse ready = call("GET", "/v2/health/ready");
  EXPECT_EQ(ready.status, 200);
  EXPECT_EQ(Json::parse(ready.body)["ready"], true);
  service.set_ready(false);
  ready = call("GET", "/v2/health/ready");
  EXPECT_EQ(ready.status, 503);
  EXPECT_EQ(Json::parse(ready.body)["ready"], false);
}

TEST_F(RoutesTest, MetricsAreTextExposition) {
  service.metrics().observe_http("/api/predict", "POST", 200, 0.01);
  const HttpResponse r = call("GET", "/metrics");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type.rfind("text/plain; version=0.0.4", 0), 0u);
  EXPECT_NE(r.body.find("uninlu_http_requests_total"), std::string::npos);
}

TEST_F(RoutesTest, InfoAddsHttpConfig) {
  const Json body = Json::parse(call("GET", "/info").body);
  EXPECT_EQ(body["model"], "fake");
  EXPECT_EQ(body["http"]["port"], 7860);
  EXPECT_TRUE(body["cpu"]["kernels_isa"].is_string());
  EXPECT_TRUE(body["cpu"]["onednn_isa"].is_string());
  EXPECT_TRUE(body["routes"].is_array());
}

TEST_F(RoutesTest, WebPage) {
  const WebAsset* index = find_web_asset("/");
  if (index == nullptr) GTEST_SKIP() << "built without web/index.html";
  const HttpResponse page = call("GET", "/");
  EXPECT_EQ(page.status, 200);
  EXPECT_EQ(page.content_type, "text/html; charset=utf-8");
  EXPECT_EQ(page.body, index->body);
  ASSERT_FALSE(page.headers.empty());
  EXPECT_EQ(page.headers[0].first, "Cache-Control");
  EXPECT_EQ(call("GET", "/index.html").body, index->body);
  EXPECT_EQ(call("GET", "/assets/index.html").body, index->body);  // a flat web/ has no assets/ folder
  expect_error(call("GET", "/assets/nope.js"), 404, "not_found", "nope.js");
  expect_error(call("GET", "/assets/../CMakeLists.txt"), 404, "not_found", "no such file");
}

TEST_F(RoutesTest, UnknownRouteIs404) {
  expect_error(call("GET", "/api/nothing"), 404, "not_found", "/api/nothing", "rid-7");
}

}  // namespace
}  // namespace uninlu
