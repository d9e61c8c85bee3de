#include "http/router.h"

#include <gtest/gtest.h>

#include "test_support.h"

namespace uninlu {
namespace {

Handler named(std::string* called, std::string name) {
  return [called, name](Exchange& e) {
    *called = name;
    e.respond(HttpResponse{});
  };
}

class RouterTest : public ::testing::Test {
 protected:
  RouterTest() {
    router.add("POST", "/api/predict", named(&called, "predict"));
    router.add("GET", "/health", named(&called, "health"));
    router.add("POST", "/health", named(&called, "health-post"));
    router.add("GET", "/assets/*", named(&called, "asset"), "/assets/{file}");
    router.add("GET", "/assets/special", named(&called, "special"));
  }

  HttpResponse run(std::string method, std::string path) {
    HttpRequest request;
    request.method = std::move(method);
    request.path = std::move(path);
    request.target = request.path;
    request.request_id = "rid-1";
    HttpResponse answer;
    Exchange exchange{request, {}, [&answer](HttpResponse r) { answer = std::move(r); }, [](RequestId) {}};
    label = std::string(router.dispatch(exchange));
    return answer;
  }

  Router router;
  std::string called;
  std::string label;
};

TEST_F(RouterTest, MatchesExactPathsAndMethods) {
  EXPECT_EQ(run("POST", "/api/predict").status, 200);
  EXPECT_EQ(called, "predict");
  EXPECT_EQ(label, "/api/predict");
  run("POST", "/health");
  EXPECT_EQ(called, "health-post");
}

TEST_F(RouterTest, HeadIsServedByGet) {
  run("HEAD", "/health");
  EXPECT_EQ(called, "health");
}

TEST_F(RouterTest, PrefixRoutesUseTheirLabelAndLoseToExactOnes) {
  run("GET", "/assets/app.js");
  EXPECT_EQ(called, "asset");
  EXPECT_EQ(label, "/assets/{file}");
  run("GET", "/assets/special");
  EXPECT_EQ(called, "special");
  EXPECT_EQ(router.match("GET", "/assets/").handler, nullptr);  // the prefix alone names no file
}

TEST_F(RouterTest, UnknownPathIs404WithOtherLabel) {
  const HttpResponse r = run("GET", "/api/predict/extra");
  testing::expect_error(r, 404, "not_found", "/api/predict/extra", "rid-1");
  EXPECT_EQ(label, "other");
  EXPECT_TRUE(called.empty());
}

TEST_F(RouterTest, WrongMethodIs405WithAllow) {
  const HttpResponse r = run("GET", "/api/predict");
  testing::expect_error(r, 405, "method_not_allowed", "use POST");
  EXPECT_EQ(label, "/api/predict");
  ASSERT_EQ(r.headers.size(), 1u);
  EXPECT_EQ(r.headers[0].first, "Allow");
  EXPECT_EQ(r.headers[0].second, "POST");

  const HttpResponse d = run("DELETE", "/health");
  ASSERT_EQ(d.headers.size(), 1u);
  EXPECT_EQ(d.headers[0].second, "GET, HEAD, POST");
}

TEST(MethodLabel, BoundsUnusualMethods) {
  EXPECT_EQ(method_label("GET"), "GET");
  EXPECT_EQ(method_label("POST"), "POST");
  EXPECT_EQ(method_label("BREW"), "other");
}

}  // namespace
}  // namespace uninlu
