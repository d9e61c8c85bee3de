// The v2 REST routes over the fake Service: status codes, error bodies, and N texts as N predictions.
#include "http/v2_routes.h"

#include <gtest/gtest.h>

#include <future>
#include <memory>
#include <mutex>

#include "fake_service.h"
#include "http/routes.h"

namespace uninlu {
namespace {

using Json = nlohmann::ordered_json;
using testing::FakeService;

class V2RoutesTest : public ::testing::Test {
 protected:
  V2RoutesTest() { install_routes(router, service, RouteOptions{3, Json::object()}); }

  HttpResponse call(std::string method, std::string path, std::string body = {}) {
    HttpRequest request;
    request.method = std::move(method);
    request.path = std::move(path);
    request.target = request.path;
    request.body = std::move(body);
    request.content_type = "application/json";
    request.request_id = "rid";
    auto answer = std::make_shared<std::promise<HttpResponse>>();
    auto once = std::make_shared<std::once_flag>();
    auto future = answer->get_future();
    Exchange exchange{
        request, std::chrono::steady_clock::now() + std::chrono::seconds(60),
        [answer, once](HttpResponse r) { std::call_once(*once, [&] { answer->set_value(std::move(r)); }); },
        [this](RequestId id) { tracked.push_back(id); }};
    label = router.dispatch(exchange);
    if (future.wait_for(std::chrono::seconds(20)) != std::future_status::ready) {
      ADD_FAILURE() << "no answer for " << request.method << " " << request.path;
      return {};
    }
    return future.get();
  }

  // The error body must be the protocol's {"error": "..."} and say `words`.
  static void expect_v2_error(const HttpResponse& r, int status, const std::string& words) {
    EXPECT_EQ(r.status, status) << r.body;
    const Json body = Json::parse(r.body);
    ASSERT_EQ(body.size(), 1u) << r.body;
    ASSERT_TRUE(body["error"].is_string()) << r.body;
    EXPECT_NE(body["error"].get<std::string>().find(words), std::string::npos) << r.body;
  }

  static std::string infer_body(const Json& texts, const Json& schemas) {
    return Json{
        {"id", "7"},
        {"inputs",
         Json::array(
             {Json{{"name", "text"}, {"shape", {texts.size()}}, {"datatype", "BYTES"}, {"data", texts}},
              Json{{"name", "schema"}, {"shape", {schemas.size()}}, {"datatype", "BYTES"}, {"data", schemas}}})}}
        .dump();
  }

  FakeService service{FakeService::named("uie")};
  Router router;
  std::vector<RequestId> tracked;
  std::string_view label;
};

TEST_F(V2RoutesTest, ServerAndModelMetadata) {
  HttpResponse r = call("GET", "/v2");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(Json::parse(r.body)["name"], "uninlu");
  r = call("GET", "/v2/models/uie");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(Json::parse(r.body)["name"], "uie");
  EXPECT_EQ(label, "/v2/models/{model}");
  EXPECT_EQ(call("GET", "/v2/models/uie/versions/1").status, 200);
  EXPECT_EQ(label, "/v2/models/{model}/versions/{version}");
}

TEST_F(V2RoutesTest, ModelReadyFollowsTheService) {
  EXPECT_EQ(Json::parse(call("GET", "/v2/models/uie/ready").body), Json::parse(R"({"name": "uie", "ready": true})"));
  service.set_ready(false);
  const HttpResponse r = call("GET", "/v2/models/uie/versions/1/ready");
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(Json::parse(r.body)["ready"], false);
}

TEST_F(V2RoutesTest, InferSubmitsEachTextAsItsOwnPrediction) {
  const HttpResponse r = call("POST", "/v2/models/uie/infer", infer_body({"华为", "北京大学"}, {R"({"公司": null})"}));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(label, "/v2/models/{model}/infer");
  const Json body = Json::parse(r.body);
  EXPECT_EQ(body["id"], "7");
  EXPECT_EQ(body["model_name"], "uie");
  const Json& out = body["outputs"][0];
  EXPECT_EQ(out["shape"], Json::parse("[2]"));
  // The fake answers one chain per schema key, spanning the whole text.
  EXPECT_EQ(Json::parse(out["data"][1].get<std::string>())["output"][0][0]["span"], "北京大学");
  EXPECT_EQ(tracked.size(), 2u);
  const auto received = service.received();
  ASSERT_EQ(received.size(), 2u);
  EXPECT_EQ(received[0].text, "华为");
  EXPECT_EQ(received[0].model, "uie");  // the model the path names answers
  EXPECT_EQ(received[1].request_id, "rid.1");
}

TEST_F(V2RoutesTest, RepositoryIndexListsTheModels) {
  const HttpResponse r = call("POST", "/v2/repository/index");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Json::parse(r.body), Json::parse(R"([{"name": "uie", "version": "1", "state": "READY"}])"));
}

// Loading and unloading are the ModelRepository's (tests/serving); a Service of one fixed model refuses.
TEST_F(V2RoutesTest, RepositoryLoadAndUnloadErrors) {
  expect_v2_error(call("POST", "/v2/repository/models/uie/unload"), 400, "one fixed model");
  expect_v2_error(call("POST", "/v2/repository/models/other/load"), 404, "unknown model \"other\"");
  expect_v2_error(call("POST", "/v2/repository/models/uie/reload"), 404, "no route");
  expect_v2_error(call("POST", "/v2/repository/models//load"), 404, "no route");
  EXPECT_EQ(call("GET", "/v2/repository/models/uie/load").status, 405);
}

TEST_F(V2RoutesTest, OneFailedTextFailsTheRequestWithItsStatus) {
  HttpResponse r = call("POST", "/v2/models/uie/infer", infer_body({"ok", "fail:timeout"}, {R"({"a": null})"}));
  expect_v2_error(r, 504, "text 1: ");
  r = call("POST", "/v2/models/uie/infer", infer_body({"throw:overloaded"}, {R"({"a": null})"}));
  expect_v2_error(r, 429, "");
  EXPECT_EQ(r.headers.at(0), (std::pair<std::string, std::string>{"Retry-After", "1"}));
  r = call("POST", "/v2/models/uie/infer", infer_body({"a"}, {R"({"a": 5})"}));  // a schema the pipeline refuses
  expect_v2_error(r, 400, "");
}

TEST_F(V2RoutesTest, Errors) {
  expect_v2_error(call("GET", "/v2/models/other"), 404, "unknown model \"other\"");
  expect_v2_error(call("POST", "/v2/models/other/infer", infer_body({"a"}, {"{}"})), 404, "unknown model");
  expect_v2_error(call("GET", "/v2/models/uie/versions/2"), 404, "no version \"2\"");
  expect_v2_error(call("GET", "/v2/models/uie/stats"), 404, "no route");
  expect_v2_error(call("POST", "/v2/models/uie/infer", "{"), 400, "malformed JSON");
  expect_v2_error(call("POST", "/v2/models/uie/infer", "{}"), 400, "missing \"inputs\"");
  expect_v2_error(call("POST", "/v2/models/uie/infer", infer_body({"a", "b", "c", "d"}, {"{}"})), 413, "at most 3");
  // The model and version are checked before the method: GET on another version's infer is a 404.
  expect_v2_error(call("GET", "/v2/models/uie/versions/9/infer"), 404, "no version");
  EXPECT_EQ(call("GET", "/v2/models/uie/infer").status, 405);
  EXPECT_TRUE(service.received().empty());
}

}  // namespace
}  // namespace uninlu
