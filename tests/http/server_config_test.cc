#include "http/server_config.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "core/error.h"

namespace uninlu {
namespace {

using Json = nlohmann::ordered_json;

// Parses `args` as `uninlu serve` would and resolves the configuration.
ServerConfig resolve(const std::string& args) {
  CLI::App app;
  ServeFlags flags;
  flags.add_to(app);
  app.parse(args, false);
  return resolve_server_config(flags);
}

std::string usage_error(const std::string& args) {
  try {
    resolve(args);
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Usage) << e.what();
    EXPECT_EQ(exit_code(e.kind()), 2);
    return e.what();
  }
  ADD_FAILURE() << "expected a usage error for: " << args;
  return {};
}

class TempConfig {
 public:
  explicit TempConfig(const std::string& text) {
    path_ = std::filesystem::temp_directory_path() /
            ("uninlu_http_config_" + std::to_string(::getpid()) + "_" + std::to_string(counter_++) + ".json");
    std::ofstream(path_) << text;
  }
  ~TempConfig() { std::filesystem::remove(path_); }
  std::string path() const { return path_.string(); }

 private:
  static inline int counter_ = 0;
  std::filesystem::path path_;
};

TEST(ServerConfig, Defaults) {
  const ServerConfig c = resolve("--model /m");
  EXPECT_EQ(c.http.host, "0.0.0.0");
  EXPECT_EQ(c.http.port, 7860);
  EXPECT_EQ(c.http.max_body_bytes, 1u << 20);
  EXPECT_EQ(c.http.max_batch_items, 64u);
  EXPECT_EQ(c.http.request_timeout, std::chrono::milliseconds(30000));
  EXPECT_EQ(c.http.access_log, "-");
  EXPECT_EQ(c.service.model_path, "/m");
  EXPECT_EQ(c.service.device, "auto");
  EXPECT_EQ(c.service.gpu_precision, Precision::F16);
  EXPECT_TRUE(c.service.scheduler.dynamic_batching);
  EXPECT_EQ(c.log_level, "info");
  EXPECT_FALSE(c.max_length);
  EXPECT_TRUE(c.unknown_fields.empty());
}

TEST(ServerConfig, ReadsTheOriginalAppConfig) {
  const TempConfig file(R"({"model_path": "/models/uninlu", "device": "cuda:0", "batch_size": 16,
                            "max_length": 512, "use_amp": true, "amp_dtype": "bfloat16"})");
  const ServerConfig c = resolve("--config " + file.path());
  EXPECT_EQ(c.service.model_path, "/models/uninlu");
  EXPECT_EQ(c.service.device, "cuda:0");
  EXPECT_EQ(c.service.scheduler.max_batch_requests, 16u);
  EXPECT_EQ(c.max_length, 512);
  EXPECT_EQ(c.service.gpu_precision, Precision::BF16);
  EXPECT_EQ(c.config_file, file.path());
  EXPECT_FALSE(c.model_path_from_default);
}

TEST(ServerConfig, UseAmpFalseMeansFp32WhateverTheOrder) {
  const TempConfig file(R"({"use_amp": false, "amp_dtype": "float16", "model_path": "/m"})");
  EXPECT_EQ(resolve("--config " + file.path()).service.gpu_precision, Precision::F32);
  EXPECT_EQ(resolve("--config " + file.path() + " --gpu-precision bf16").service.gpu_precision, Precision::BF16);
}

TEST(ServerConfig, ReadsOurFieldsIncludingLimits) {
  const TempConfig file(R"({"model_path": "/m", "host": "127.0.0.1", "port": 8080, "io_threads": 2, "threads": 3,
      "cpu_precision": "bf16", "max_batch_tokens": 4096, "max_wait_ms": 1.5, "max_in_flight": 100,
      "request_timeout_ms": 5000, "max_body_bytes": 2048, "max_batch_items": 8, "dynamic_batching": false,
      "layer_split": true, "gpu_log": "/tmp/gpu.log", "gpu_log_interval_s": 5, "access_log": "",
      "log_level": "debug", "keepalive_timeout_ms": 1000, "shutdown_timeout_ms": 2000,
      "limits": {"max_text_chars": 500, "max_schema_depth": 3, "max_schema_keys": 10, "max_key_chars": 20,
                 "max_prompts": 99}})");
  const ServerConfig c = resolve("--config " + file.path());
  EXPECT_EQ(c.http.host, "127.0.0.1");
  EXPECT_EQ(c.http.port, 8080);
  EXPECT_EQ(c.http.io_threads, 2);
  EXPECT_EQ(c.service.cpu_threads, 3);
  EXPECT_EQ(c.service.cpu_precision, Precision::BF16);
  EXPECT_EQ(c.service.scheduler.max_batch_tokens, 4096u);
  EXPECT_EQ(c.service.scheduler.max_wait, std::chrono::microseconds(1500));
  EXPECT_EQ(c.service.scheduler.max_in_flight, 100u);
  EXPECT_EQ(c.http.request_timeout, std::chrono::milliseconds(5000));
  EXPECT_EQ(c.http.max_body_bytes, 2048u);
  EXPECT_EQ(c.http.max_batch_items, 8u);
  EXPECT_FALSE(c.service.scheduler.dynamic_batching);
  EXPECT_TRUE(c.service.layer_split);
  EXPECT_EQ(c.service.gpu_log_path, "/tmp/gpu.log");
  EXPECT_EQ(c.service.gpu_log_interval_s, 5);
  EXPECT_EQ(c.http.access_log, "");
  EXPECT_EQ(c.log_level, "debug");
  EXPECT_EQ(c.http.keepalive_timeout, std::chrono::milliseconds(1000));
  EXPECT_EQ(c.http.shutdown_timeout, std::chrono::milliseconds(2000));
  EXPECT_EQ(c.service.limits.max_text_chars, 500u);
  EXPECT_EQ(c.service.limits.max_schema_depth, 3u);
  EXPECT_EQ(c.service.limits.max_schema_keys, 10u);
  EXPECT_EQ(c.service.limits.max_key_chars, 20u);
  EXPECT_EQ(c.service.limits.max_prompts, 99u);
}

TEST(ServerConfig, FlagsOverrideTheFile) {
  const TempConfig file(R"({"model_path": "/from-file", "port": 9000, "batch_size": 8, "dynamic_batching": false})");
  const ServerConfig c = resolve("--config " + file.path() +
                                 " --model /from-flag --port 9100 --dynamic_batching --max_batch_size 32"
                                 " --max-batch-tokens 1000 --max-wait-ms 3 --threads 2 --device cpu");
  EXPECT_EQ(c.service.model_path, "/from-flag");
  EXPECT_EQ(c.http.port, 9100);
  EXPECT_TRUE(c.service.scheduler.dynamic_batching);
  EXPECT_EQ(c.service.scheduler.max_batch_requests, 32u);
  EXPECT_EQ(c.service.scheduler.max_batch_tokens, 1000u);
  EXPECT_EQ(c.service.scheduler.max_wait, std::chrono::microseconds(3000));
  EXPECT_EQ(c.service.cpu_threads, 2);
  EXPECT_EQ(c.service.device, "cpu");
}

TEST(ServerConfig, FlagSpellings) {
  EXPECT_FALSE(resolve("--model /m --no-dynamic-batching").service.scheduler.dynamic_batching);
  EXPECT_TRUE(resolve("--model /m --dynamic-batching").service.scheduler.dynamic_batching);
  EXPECT_EQ(resolve("--model /m --max-batch-size 4").service.scheduler.max_batch_requests, 4u);
  EXPECT_EQ(resolve("--model_path /m2").service.model_path, "/m2");
  EXPECT_EQ(resolve("--model /m --port=0").http.port, 0);
  EXPECT_EQ(resolve("--model /m --max-text-chars 12").service.limits.max_text_chars, 12u);
  EXPECT_EQ(resolve("--model /m --access-log /tmp/a.log").http.access_log, "/tmp/a.log");
  EXPECT_EQ(resolve("--model /m --device CUDA").service.device, "cuda:0");
  EXPECT_EQ(resolve("--model /m --device cuda:0,1").service.device, "cuda:0,1");
}

TEST(ServerConfig, UnknownFieldsAreListedNotFatal) {
  const TempConfig file(R"({"model_path": "/m", "prot": 1, "limits": {"max_txt": 3}, "gpu_ids": [0]})");
  const ServerConfig c = resolve("--config " + file.path());
  EXPECT_EQ(c.unknown_fields, (std::vector<std::string>{"prot", "limits.max_txt", "gpu_ids"}));
}

TEST(ServerConfig, NullMeansNotSet) {
  const TempConfig file(R"({"model_path": null, "port": null})");
  const ServerConfig c = resolve("--config " + file.path());
  EXPECT_EQ(c.http.port, 7860);
  EXPECT_TRUE(c.model_path_from_default);
}

TEST(ServerConfig, InvalidFileValuesNameTheField) {
  const auto file_error = [](const std::string& json) {
    const TempConfig file(json);
    return usage_error("--config " + file.path());
  };
  EXPECT_NE(file_error(R"({"port": -1})").find("invalid port in "), std::string::npos);
  EXPECT_NE(file_error(R"({"port": -1})").find("must be an integer from 0 to 65535, got -1"), std::string::npos);
  EXPECT_NE(file_error(R"({"port": "80"})").find(R"(got "80")"), std::string::npos);
  EXPECT_NE(file_error(R"({"port": 1.5})").find("invalid port"), std::string::npos);
  EXPECT_NE(file_error(R"({"device": "gpu"})").find(R"(invalid device in)"), std::string::npos);
  EXPECT_NE(file_error(R"({"device": "cuda:x"})").find(R"("cuda:0,1")"), std::string::npos);
  EXPECT_NE(file_error(R"({"batch_size": 0})").find("invalid batch_size"), std::string::npos);
  EXPECT_NE(file_error(R"({"use_amp": "yes"})").find("invalid use_amp in"), std::string::npos);
  EXPECT_NE(file_error(R"({"use_amp": "yes"})").find("must be true or false"), std::string::npos);
  EXPECT_NE(file_error(R"({"amp_dtype": "float64"})").find("invalid amp_dtype"), std::string::npos);
  EXPECT_NE(file_error(R"({"cpu_precision": "fp64"})").find("invalid cpu_precision"), std::string::npos);
  EXPECT_NE(file_error(R"({"max_wait_ms": -1})").find("invalid max_wait_ms"), std::string::npos);
  EXPECT_NE(file_error(R"({"log_level": "loud"})").find("invalid log_level"), std::string::npos);
  EXPECT_NE(file_error(R"({"model_path": ""})").find("invalid model_path"), std::string::npos);
  EXPECT_NE(file_error(R"({"limits": 5})").find("invalid limits in"), std::string::npos);
  EXPECT_NE(file_error(R"({"limits": {"max_prompts": 0}})").find("invalid limits.max_prompts"), std::string::npos);
  EXPECT_NE(file_error(R"({"max_body_bytes": 10})").find("invalid max_body_bytes"), std::string::npos);
  EXPECT_NE(file_error(R"([1, 2])").find("must hold a JSON object"), std::string::npos);
}

TEST(ServerConfig, InvalidFlagValuesNameTheFlag) {
  EXPECT_NE(usage_error("--port -5").find("invalid --port: must be an integer from 0 to 65535, got -5"),
            std::string::npos);
  EXPECT_NE(usage_error("--port abc").find(R"(invalid --port: must be an integer from 0 to 65535, got "abc")"),
            std::string::npos);
  EXPECT_NE(usage_error("--max_batch_size 0").find("invalid --max_batch_size"), std::string::npos);
  EXPECT_NE(usage_error("--device tpu").find("invalid --device"), std::string::npos);
  EXPECT_NE(usage_error("--cpu-precision fp64").find("invalid --cpu-precision"), std::string::npos);
  EXPECT_NE(usage_error("--max-wait-ms soon").find("invalid --max-wait-ms: must be a number"), std::string::npos);
}

TEST(ServerConfig, MissingOrBrokenConfigFile) {
  EXPECT_NE(usage_error("--config /nonexistent/config.json").find("cannot read config file '/nonexistent/config.json'"),
            std::string::npos);
  const TempConfig broken(R"({"port": 1,})");
  const std::string message = usage_error("--config " + broken.path());
  EXPECT_NE(message.find("is not valid JSON"), std::string::npos) << message;
  EXPECT_NE(message.find("line 1"), std::string::npos) << message;
}

TEST(ServerConfig, DefaultModelDirHonoursTheEnvironment) {
  ::setenv("UNINLU_MODEL", "/opt/models/x", 1);
  EXPECT_EQ(default_model_dir(), "/opt/models/x");
  const ServerConfig c = resolve("");
  EXPECT_EQ(c.service.model_path, "/opt/models/x");
  EXPECT_TRUE(c.model_path_from_default);
  ::unsetenv("UNINLU_MODEL");
  const std::string fallback = default_model_dir();
  EXPECT_TRUE(fallback.ends_with("share/uninlu/model") || fallback.ends_with("models/uninlu-cluener")) << fallback;
}

TEST(ServerConfig, IoThreadsAreResolved) {
  HttpOptions o;
  EXPECT_GE(o.resolved_io_threads(), 1);
  EXPECT_LE(o.resolved_io_threads(), 4);
  o.io_threads = 7;
  EXPECT_EQ(o.resolved_io_threads(), 7);
  EXPECT_EQ(http_options_json(o)["io_threads"], 7);
}

}  // namespace
}  // namespace uninlu

namespace uninlu {
namespace {

TEST(ServerConfig, AccessControlFlags) {
  const ServerConfig c = resolve(
      "--model /m --api-key one --api-key two --admin-key adm --protect-probes "
      "--cors-allow-origin https://a.example,https://b.example --cors-allow-origin https://c.example");
  EXPECT_EQ(c.http.api_keys, (std::vector<std::string>{"one", "two"}));
  EXPECT_EQ(c.http.admin_key, "adm");
  EXPECT_TRUE(c.http.protect_probes);
  EXPECT_EQ(c.http.cors_allow_origins,
            (std::vector<std::string>{"https://a.example", "https://b.example", "https://c.example"}));
  const Json shown = http_options_json(c.http);
  EXPECT_EQ(shown["api_keys"], 2);
  EXPECT_EQ(shown.dump().find("\"one\""), std::string::npos) << "keys must never be shown";
  EXPECT_EQ(shown.dump().find("adm\""), std::string::npos);
}

TEST(ServerConfig, AccessControlDefaultsAreOff) {
  const ServerConfig c = resolve("--model /m");
  EXPECT_TRUE(c.http.api_keys.empty());
  EXPECT_TRUE(c.http.api_keys_file.empty());
  EXPECT_TRUE(c.http.admin_key.empty());
  EXPECT_FALSE(c.http.protect_probes);
  EXPECT_TRUE(c.http.cors_allow_origins.empty());
}

TEST(ServerConfig, AccessControlInTheFile) {
  const TempConfig file(
      R"({"api_keys": ["k1", "k2"], "api_keys_file": "/etc/keys", "cors_allow_origin": "*", "protect_probes": true})");
  const ServerConfig c = resolve("--config " + file.path());
  EXPECT_EQ(c.http.api_keys, (std::vector<std::string>{"k1", "k2"}));
  EXPECT_EQ(c.http.api_keys_file, "/etc/keys");
  EXPECT_EQ(c.http.cors_allow_origins, (std::vector<std::string>{"*"}));
  EXPECT_TRUE(c.http.protect_probes);
  const TempConfig bad(R"({"api_keys": [1]})");
  EXPECT_NE(usage_error("--config " + bad.path()).find("api_keys"), std::string::npos);
}

TEST(ServerConfig, TlsIsOffByDefault) {
  const ServerConfig c = resolve("--model /m");
  EXPECT_FALSE(c.http.tls_enabled());
  EXPECT_EQ(http_options_json(c.http)["tls"], false);
}

TEST(ServerConfig, TlsFlagsAndFileKeys) {
  ServerConfig c = resolve("--model /m --tls-cert /etc/uninlu/cert.pem --tls-key /etc/uninlu/key.pem");
  EXPECT_TRUE(c.http.tls_enabled());
  EXPECT_EQ(c.http.tls_cert, "/etc/uninlu/cert.pem");
  EXPECT_EQ(c.http.tls_key, "/etc/uninlu/key.pem");
  const Json shown = http_options_json(c.http);
  EXPECT_EQ(shown["tls"], true);
  EXPECT_EQ(shown["tls_cert"], "/etc/uninlu/cert.pem");

  const TempConfig file(R"({"tls_cert": "/a/cert.pem", "tls_key": "/a/key.pem"})");
  c = resolve("--config " + file.path() + " --tls-key /b/key.pem");  // a flag wins over the file
  EXPECT_EQ(c.http.tls_cert, "/a/cert.pem");
  EXPECT_EQ(c.http.tls_key, "/b/key.pem");
}

TEST(ServerConfig, TlsNeedsBothCertificateAndKey) {
  std::string message = usage_error("--model /m --tls-cert /c.pem");
  EXPECT_NE(message.find("--tls-cert (tls_cert) is set but --tls-key (tls_key) is not"), std::string::npos) << message;
  message = usage_error("--model /m --tls-key /k.pem");
  EXPECT_NE(message.find("--tls-key (tls_key) is set but --tls-cert (tls_cert) is not"), std::string::npos) << message;
  const TempConfig file(R"({"tls_cert": "/c.pem"})");
  message = usage_error("--config " + file.path());
  EXPECT_NE(message.find("tls_key"), std::string::npos) << message;
  const TempConfig empty(R"({"tls_cert": "", "tls_key": "/k.pem"})");
  message = usage_error("--config " + empty.path());
  EXPECT_NE(message.find("tls_cert in"), std::string::npos) << message;
}

}  // namespace
}  // namespace uninlu
