#include "http/access_control.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "http/api_keys.h"
#include "http/cors.h"

namespace uninlu {
namespace {

HttpRequest request(std::string method, std::string path, std::string authorization = {}, bool loopback = false) {
  HttpRequest r;
  r.method = std::move(method);
  r.path = std::move(path);
  r.target = r.path;
  r.authorization = std::move(authorization);
  r.from_loopback = loopback;
  r.request_id = "t-1";
  return r;
}

int status_of(const AccessControl& access, const HttpRequest& r) {
  std::string fingerprint;
  const auto denied = access.check(r, fingerprint);
  return denied ? denied->status : 200;
}

TEST(KeySet, MatchesOnlyConfiguredKeys) {
  KeySet keys;
  EXPECT_TRUE(keys.empty());
  EXPECT_FALSE(keys.contains(""));
  keys.replace({"alpha", "beta"});
  EXPECT_TRUE(keys.contains("alpha"));
  EXPECT_TRUE(keys.contains("beta"));
  EXPECT_FALSE(keys.contains("alph"));
  EXPECT_FALSE(keys.contains("alphaa"));
  EXPECT_FALSE(keys.contains("gamma"));
  keys.replace({"gamma"});
  EXPECT_FALSE(keys.contains("alpha"));
  EXPECT_TRUE(keys.contains("gamma"));
}

TEST(KeySet, FingerprintIsTheStartOfTheSha256) {
  // SHA-256("abc") = ba7816bf 8f01cfea ... (FIPS 180-2, appendix B.1)
  EXPECT_EQ(key_fingerprint("abc"), "ba7816bf");
}

TEST(KeySet, ReadsKeyFilesSkippingCommentsAndBlanks) {
  const auto path = std::filesystem::temp_directory_path() / ("uninlu_keys_" + std::to_string(::getpid()));
  std::ofstream(path) << "# comment\n\n  key-one  \r\nkey-two\n   # indented comment\n";
  EXPECT_EQ(read_key_file(path.string()), (std::vector<std::string>{"key-one", "key-two"}));
  std::filesystem::remove(path);
  EXPECT_THROW(read_key_file(path.string()), Error);
}

TEST(AccessControl, OpenByDefaultExceptAdminRoutesFromOtherHosts) {
  const AccessControl access{HttpOptions{}};
  EXPECT_EQ(status_of(access, request("POST", "/api/predict")), 200);
  EXPECT_EQ(status_of(access, request("GET", "/info")), 200);
  EXPECT_EQ(status_of(access, request("POST", "/api/fallback")), 403);
  EXPECT_EQ(status_of(access, request("POST", "/api/restore")), 403);
  EXPECT_EQ(status_of(access, request("POST", "/api/fallback", "", true)), 200);
}

TEST(AccessControl, ClientKeys) {
  HttpOptions options;
  options.api_keys = {"k1"};
  const AccessControl access{options};
  EXPECT_EQ(status_of(access, request("POST", "/api/predict")), 401);
  EXPECT_EQ(status_of(access, request("POST", "/api/predict", "Bearer k2")), 401);
  EXPECT_EQ(status_of(access, request("POST", "/api/predict", "k1")), 401);  // no scheme
  EXPECT_EQ(status_of(access, request("POST", "/api/predict", "Bearer k1")), 200);
  EXPECT_EQ(status_of(access, request("POST", "/api/predict", "bearer k1")), 200);  // scheme is case-blind
  EXPECT_EQ(status_of(access, request("GET", "/info")), 401);
  for (const char* path : {"/health", "/v2/health/ready", "/v2/health/live", "/metrics", "/", "/assets/app.js"}) {
    EXPECT_EQ(status_of(access, request("GET", path)), 200) << path;
  }
  std::string fingerprint;
  const auto denied = access.check(request("POST", "/api/predict"), fingerprint);
  ASSERT_TRUE(denied);
  EXPECT_EQ(fingerprint, "-");
  bool challenge = false;
  for (const auto& [name, value] : denied->headers) challenge |= name == "WWW-Authenticate" && value == "Bearer";
  EXPECT_TRUE(challenge);
  EXPECT_NE(denied->body.find("\"unauthorized\""), std::string::npos);
  access.check(request("POST", "/api/predict", "Bearer k1"), fingerprint);
  EXPECT_EQ(fingerprint, key_fingerprint("k1"));
}

TEST(AccessControl, AdminKey) {
  HttpOptions options;
  options.api_keys = {"k1"};
  options.admin_key = "adm";
  const AccessControl access{options};
  EXPECT_EQ(status_of(access, request("POST", "/api/fallback", "", true)), 401);  // loopback is not enough now
  EXPECT_EQ(status_of(access, request("POST", "/api/fallback", "Bearer k1", true)), 401);
  EXPECT_EQ(status_of(access, request("POST", "/api/fallback", "Bearer adm")), 200);
  EXPECT_EQ(status_of(access, request("POST", "/api/predict", "Bearer adm")), 200);
}

TEST(AccessControl, ProtectedProbes) {
  HttpOptions options;
  options.api_keys = {"k1"};
  options.protect_probes = true;
  const AccessControl access{options};
  EXPECT_EQ(status_of(access, request("GET", "/health")), 401);
  EXPECT_EQ(status_of(access, request("GET", "/v2/health/ready")), 401);
  EXPECT_EQ(status_of(access, request("GET", "/metrics")), 401);
  EXPECT_EQ(status_of(access, request("GET", "/metrics", "Bearer k1")), 200);
  EXPECT_EQ(status_of(access, request("GET", "/")), 200);
}

TEST(AccessControl, ReloadReplacesTheFilesKeysAndAnEmptyFileLocksOut) {
  const auto path = std::filesystem::temp_directory_path() / ("uninlu_keys_reload_" + std::to_string(::getpid()));
  std::ofstream(path) << "old\n";
  HttpOptions options;
  options.api_keys = {"flag-key"};
  options.api_keys_file = path.string();
  AccessControl access{options};
  EXPECT_EQ(status_of(access, request("POST", "/api/predict", "Bearer old")), 200);
  std::ofstream(path) << "new\n";
  access.reload();
  EXPECT_EQ(status_of(access, request("POST", "/api/predict", "Bearer old")), 401);
  EXPECT_EQ(status_of(access, request("POST", "/api/predict", "Bearer new")), 200);
  EXPECT_EQ(status_of(access, request("POST", "/api/predict", "Bearer flag-key")), 200);
  std::ofstream(path) << "# all keys withdrawn\n";
  access.reload();
  EXPECT_EQ(status_of(access, request("POST", "/api/predict", "Bearer new")), 401);
  EXPECT_EQ(status_of(access, request("POST", "/api/predict")), 401);
  std::filesystem::remove(path);
  access.reload();  // unreadable: the keys in use stay
  EXPECT_EQ(status_of(access, request("POST", "/api/predict", "Bearer flag-key")), 200);
}

TEST(CorsPolicy, OffByDefault) {
  const CorsPolicy cors({});
  HttpRequest r = request("OPTIONS", "/api/predict");
  r.origin = "https://a.example";
  EXPECT_FALSE(cors.preflight(r));
  HttpResponse response;
  cors.decorate(r, response);
  EXPECT_TRUE(response.headers.empty());
}

TEST(CorsPolicy, AllowedOriginsAreEchoed) {
  const CorsPolicy cors({"https://a.example"});
  HttpRequest r = request("OPTIONS", "/api/predict");
  r.origin = "https://a.example";
  const auto preflight = cors.preflight(r);
  ASSERT_TRUE(preflight);
  EXPECT_EQ(preflight->status, 204);
  r.origin = "https://b.example";
  EXPECT_FALSE(cors.preflight(r));
  HttpResponse response;
  cors.decorate(r, response);
  ASSERT_EQ(response.headers.size(), 1u);
  EXPECT_EQ(response.headers[0], (std::pair<std::string, std::string>{"Vary", "Origin"}));
}

}  // namespace
}  // namespace uninlu
