#pragma once
// `uninlu serve` configuration: the original Flask app's config.json (model_path, device, batch_size,
// max_length, use_amp, amp_dtype) plus this server's own fields, then command-line flags on top
// (the old app's --dynamic_batching and --max_batch_size included). docs/configuration.md lists them all.
// Every field is declared once (server_config.cc) with its JSON key, its flags and its validation, so the
// file and the flags share the same checks and messages. An invalid value is Error(Usage) (exit 2).
#include <chrono>
#include <cstddef>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "serving/model_repository.h"
#include "serving/service.h"

namespace CLI {
class App;
}

namespace uninlu {

struct HttpOptions {
  std::string host = "0.0.0.0";
  int port = 7860;                                     // 0: any free port (the log line says which)
  int grpc_port = -1;                                  // the gRPC front end (src/grpc/): -1 off, 0 any free port
  int io_threads = 0;                                  // 0: min(4, max(1, cores / 2))
  std::chrono::milliseconds request_timeout{30000};    // deadline passed to Service::predict → 504
  std::size_t max_body_bytes = 1 << 20;                // → 413
  std::size_t max_batch_items = 64;                    // items in one batch request → 413
  std::chrono::milliseconds header_timeout{10000};     // to receive a request's headers
  std::chrono::milliseconds body_timeout{30000};       // to receive its body
  std::chrono::milliseconds write_timeout{30000};      // to send a response
  std::chrono::milliseconds keepalive_timeout{60000};  // an idle keep-alive connection is closed after it
  std::chrono::milliseconds shutdown_timeout{30000};   // SIGTERM: how long in-flight requests may finish
  std::string access_log = "-";                        // "-": stdout, "": off, else a file path
  std::vector<std::string> api_keys;                   // --api-key (repeatable); docs/security.md
  std::string api_keys_file;                           // one key a line; re-read on SIGHUP
  std::string admin_key;                               // for /api/fallback, /api/restore; none: loopback only
  bool protect_probes = false;                         // /health, /v2/health/*, /metrics need a key too
  std::vector<std::string> cors_allow_origins;         // empty: no CORS headers; "*": any origin
  std::string tls_cert;                                // PEM chain, the server's own first; with tls_key: HTTPS
  std::string tls_key;                                 // PEM private key, unencrypted; both re-read on SIGHUP
  std::string model_name;                              // the first model's name; default: its directory's name

  bool tls_enabled() const noexcept { return !tls_cert.empty(); }

  int resolved_io_threads() const;
};

struct ServerConfig {
  // The models to serve, the default first: --model [NAME=]PATH (repeatable), "models" or "model_path".
  // After finalize_server_config() each has a name, and service.model_path is the first one's path.
  std::vector<ModelSpec> models;
  ServiceOptions service;
  HttpOptions http;
  std::string log_level = "info";
  std::optional<long long> max_length;  // legacy; informational (long texts are windowed)
  // The legacy GPU precision switches and ours; resolve_server_config() turns them into
  // service.gpu_precision: gpu_precision if set, else fp32 when use_amp is false, else amp_dtype (fp16).
  std::optional<bool> use_amp;
  std::optional<Precision> amp_dtype;
  std::optional<Precision> gpu_precision;
  std::string config_file;                  // empty: none
  bool model_path_from_default = false;     // model_path came from default_model_dir()
  std::vector<std::string> unknown_fields;  // in the config file, "limits.x" for nested ones; warned about
};

// The model directory used when none is configured: $UNINLU_MODEL if set, else the first existing of
// <dir of the executable>/../share/uninlu/model and the source tree's models/uninlu-cluener (returned
// even when missing, so that the loading error names it).
std::string default_model_dir();

// The v2 model name a model directory gets: its last path component ("/srv/models/uninlu/" → "uninlu"),
// or "uninlu" when the path has none ("/", ".").
std::string model_name_of(const std::string& model_path);

// "NAME=PATH" (NAME of letters, digits, '.', '_' or '-') or a PATH alone, whose name is then decided later.
ModelSpec parse_model_spec(const std::string& text);

// Applies a parsed config.json to `config`. `source` names the file in messages.
void apply_config_json(const nlohmann::ordered_json& file, std::string_view source, ServerConfig& config);

// Reads and applies a config file: Error(Usage) when it is missing, not JSON or not an object.
void apply_config_file(const std::string& path, ServerConfig& config);

// The command-line side: registers every flag on a CLI11 (sub)command and remembers which were given.
class ServeFlags {
 public:
  ServeFlags();
  ~ServeFlags();
  ServeFlags(const ServeFlags&) = delete;
  ServeFlags& operator=(const ServeFlags&) = delete;

  void add_to(CLI::App& app);
  const std::string& config_file() const noexcept { return config_file_; }
  // Applies the flags that were given (after the file, so they win).
  void apply(ServerConfig& config) const;

 private:
  struct Bound;
  std::string config_file_;
  std::vector<std::unique_ptr<Bound>> bound_;
};

// Fills what depends on several fields or on the environment: the model path (default_model_dir() when
// none was given) and service.gpu_precision; checks the fields that go together (tls_cert and tls_key).
void finalize_server_config(ServerConfig& config);

// File (if --config), then flags, then finalize_server_config().
ServerConfig resolve_server_config(const ServeFlags& flags);

// For GET /info and the startup log.
nlohmann::ordered_json http_options_json(const HttpOptions& options);

}  // namespace uninlu
