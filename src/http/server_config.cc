#include "http/server_config.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "core/error.h"
#include "engine/backend.h"

#ifndef UNINLU_DEFAULT_MODEL_DIR
#define UNINLU_DEFAULT_MODEL_DIR "models/uninlu-cluener"
#endif

namespace uninlu {

namespace {

using Json = nlohmann::ordered_json;

// A value from the file or a flag, with the words that name where it came from in messages:
// "port in config.json" or "--port".
class Value {
 public:
  Value(const Json& json, std::string where) : json_(json), where_(std::move(where)) {}

  [[noreturn]] void invalid(const std::string& requirement) const {
    std::string shown = json_.dump(-1, ' ', false, Json::error_handler_t::replace);
    if (shown.size() > 60) shown = shown.substr(0, 57) + "...";
    fail(ErrorKind::Usage, "invalid " + where_ + ": " + requirement + ", got " + shown);
  }

  long long integer(long long min, long long max) const {
    const std::string requirement = "must be an integer from " + std::to_string(min) + " to " + std::to_string(max);
    long long value = 0;
    if (json_.is_number_unsigned()) {
      const auto u = json_.get<unsigned long long>();
      if (u > static_cast<unsigned long long>(max)) invalid(requirement);
      value = static_cast<long long>(u);
    } else if (json_.is_number_integer()) {
      value = json_.get<long long>();
    } else if (json_.is_number_float()) {
      const double d = json_.get<double>();
      if (!std::isfinite(d) || d != std::floor(d) || d < static_cast<double>(min) || d > static_cast<double>(max)) {
        invalid(requirement);
      }
      value = static_cast<long long>(d);
    } else {
      invalid(requirement);
    }
    if (value < min || value > max) invalid(requirement);
    return value;
  }

  double number(double min, double max) const {
    std::ostringstream requirement;
    requirement << "must be a number from " << min << " to " << max;
    if (!json_.is_number()) invalid(requirement.str());
    const double value = json_.get<double>();
    if (!std::isfinite(value) || value < min || value > max) invalid(requirement.str());
    return value;
  }

  const Json& json() const { return json_; }

  bool boolean() const {
    if (!json_.is_boolean()) invalid("must be true or false");
    return json_.get<bool>();
  }

  std::string string(bool allow_empty) const {
    if (!json_.is_string()) invalid(allow_empty ? "must be a string" : "must be a non-empty string");
    std::string value = json_.get<std::string>();
    if (value.empty() && !allow_empty) invalid("must be a non-empty string");
    return value;
  }

  // A list: a JSON array of strings, or one string holding items separated by any of `separators`
  // (a repeated flag arrives as its values joined by newlines).
  std::vector<std::string> list(std::string_view separators) const {
    const std::string requirement = "must be a string or an array of non-empty strings";
    std::vector<std::string> items;
    const auto add = [&](const std::string& text) {
      std::size_t at = 0;
      while (at <= text.size()) {
        std::size_t end = text.find_first_of(separators, at);
        if (end == std::string::npos) end = text.size();
        std::string item = text.substr(at, end - at);
        const auto first = item.find_first_not_of(" \t");
        if (first != std::string::npos) items.push_back(item.substr(first, item.find_last_not_of(" \t") - first + 1));
        at = end + 1;
      }
    };
    if (json_.is_string()) {
      add(json_.get<std::string>());
    } else if (json_.is_array()) {
      for (const auto& item : json_) {
        if (!item.is_string() || item.get<std::string>().empty()) invalid(requirement);
        items.push_back(item.get<std::string>());
      }
    } else {
      invalid(requirement);
    }
    return items;
  }

  std::string one_of(std::initializer_list<std::string_view> choices) const {
    std::string requirement = "must be one of";
    for (const auto choice : choices) requirement += std::string(" \"") + std::string(choice) + "\"";
    if (!json_.is_string()) invalid(requirement);
    const std::string value = json_.get<std::string>();
    if (std::find(choices.begin(), choices.end(), value) == choices.end()) invalid(requirement);
    return value;
  }

 private:
  const Json& json_;
  std::string where_;
};

bool valid_model_name(std::string_view name) {
  if (name.empty() || name.size() > 128 || name == "." || name == "..") return false;
  return std::all_of(name.begin(), name.end(), [](unsigned char c) {
    return std::isalnum(c) != 0 || c == '.' || c == '_' || c == '-';
  });
}

// "models" in the config file: ["PATH", "NAME=PATH", {"name": "NAME", "path": "PATH"}, ...].
std::vector<ModelSpec> model_specs(const Value& v) {
  const std::string requirement = R"(must be a non-empty array of "PATH", "NAME=PATH" or {"name": ..., "path": ...})";
  const Json& json = v.json();
  if (!json.is_array() || json.empty()) v.invalid(requirement);
  std::vector<ModelSpec> out;
  for (const auto& item : json) {
    if (item.is_string() && !item.get<std::string>().empty()) {
      out.push_back(parse_model_spec(item.get<std::string>()));
    } else if (item.is_object() && item.contains("path") && item["path"].is_string() &&
               !item["path"].get<std::string>().empty()) {
      ModelSpec spec{"", item["path"].get<std::string>()};
      if (item.contains("name")) {
        if (!item["name"].is_string()) v.invalid(requirement);
        spec.name = item["name"].get<std::string>();
      }
      out.push_back(std::move(spec));
    } else {
      v.invalid(requirement);
    }
  }
  return out;
}

std::chrono::milliseconds milliseconds(const Value& v) {
  return std::chrono::milliseconds(v.integer(1, 24LL * 3600 * 1000));
}

std::size_t count(const Value& v, long long max) { return static_cast<std::size_t>(v.integer(1, max)); }

// "auto", "cpu", "cuda" (the first GPU), "cuda:N" or "cuda:N,M,..." (several GPUs); "null" (benchmarking).
std::string parse_device(const Value& v) {
  std::string device = v.string(false);
  std::transform(device.begin(), device.end(), device.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (device == "auto" || device == "cpu" || device == "null") return device;
  if (device == "cuda") return "cuda:0";
  constexpr std::string_view cuda = "cuda:";
  bool ok = device.size() > cuda.size() && device.compare(0, cuda.size(), cuda) == 0;
  if (ok) {
    std::size_t digits = 0;
    for (std::size_t i = cuda.size(); i < device.size() && ok; ++i) {
      const char c = device[i];
      if (c >= '0' && c <= '9') {
        ++digits;
      } else if (c == ',' && digits > 0) {
        digits = 0;
      } else {
        ok = false;
      }
    }
    ok = ok && digits > 0;
  }
  if (!ok) v.invalid(R"(must be "auto", "cpu", "cuda", "cuda:0" or a list of GPUs like "cuda:0,1")");
  return device;
}

Precision precision(const Value& v, std::string_view choices) {
  const std::string name = v.string(false);
  try {
    return parse_precision(name);
  } catch (const Error&) {
    v.invalid("must be one of " + std::string(choices));
  }
}

enum class Kind { String, Integer, Number, Boolean };

struct Field {
  std::string_view key;    // in config.json; "limits.x" is "x" inside the "limits" object
  std::string_view flags;  // CLI11 names, "" for a file-only field
  Kind kind;
  std::string_view help;
  void (*set)(ServerConfig&, const Value&);
};

// clang-format off
const std::vector<Field>& fields() {
  static const std::vector<Field> table = {
    // The original app's config.json.
    {"model_path", "--model,--model-path,--model_path", Kind::String,
     "model directory, as PATH or NAME=PATH; repeat it to serve several models, the first the default "
     "(default: $UNINLU_MODEL, then the installed model)",
     [](ServerConfig& c, const Value& v) {
       c.models.clear();
       for (const auto& item : v.list("\n")) c.models.push_back(parse_model_spec(item));
       if (c.models.empty()) v.invalid("must be a non-empty string");
     }},
    {"models", "", Kind::String, "",
     [](ServerConfig& c, const Value& v) { c.models = model_specs(v); }},
    {"model_name", "--model-name", Kind::String,
     "the first model's name in /v2/models/{name} and /api/predict's \"model\" (default: its directory's name)",
     [](ServerConfig& c, const Value& v) { c.http.model_name = v.string(false); }},
    {"device", "--device", Kind::String, R"(devices: "auto", "cpu", "cuda:0" or "cuda:0,1"; "null": benchmarking only)",
     [](ServerConfig& c, const Value& v) { c.service.device = parse_device(v); }},
    {"batch_size", "--max_batch_size,--max-batch-size,--batch-size", Kind::Integer,
     "most requests in one device batch",
     [](ServerConfig& c, const Value& v) { c.service.scheduler.max_batch_requests = count(v, 4096); }},
    {"max_length", "--max_length,--max-length", Kind::Integer,
     "accepted for compatibility; long texts are windowed as by the reference",
     [](ServerConfig& c, const Value& v) { c.max_length = v.integer(1, 1 << 20); }},
    {"use_amp", "", Kind::Boolean, "",
     [](ServerConfig& c, const Value& v) { c.use_amp = v.boolean(); }},
    {"amp_dtype", "", Kind::String, "",
     [](ServerConfig& c, const Value& v) {
       const std::string name = v.one_of({"float16", "bfloat16", "fp16", "bf16"});
       c.amp_dtype = name == "bfloat16" || name == "bf16" ? Precision::BF16 : Precision::F16;
     }},
    // Ours: devices and batching.
    {"gpu_precision", "--gpu-precision", Kind::String,
     "GPU precision: fp16, bf16 or fp32 (overrides use_amp/amp_dtype)",
     [](ServerConfig& c, const Value& v) { c.gpu_precision = precision(v, "fp32, fp16, bf16, int8"); }},
    {"cpu_precision", "--cpu-precision", Kind::String, "CPU precision: fp32, bf16 or int8",
     [](ServerConfig& c, const Value& v) { c.service.cpu_precision = precision(v, "fp32, bf16, int8, fp16"); }},
    {"threads", "--threads", Kind::Integer, "CPU inference threads (0: all cores)",
     [](ServerConfig& c, const Value& v) { c.service.cpu_threads = static_cast<int>(v.integer(0, 4096)); }},
    {"pin_threads", "--pin-threads,!--no-pin-threads", Kind::Boolean,
     "pin the CPU inference threads, one per core, when they use every core",
     [](ServerConfig& c, const Value& v) { c.service.cpu_pin_threads = v.boolean(); }},
    {"layer_split", "--layer-split,--layer_split,!--no-layer-split", Kind::Boolean,
     "split the layers across two GPUs",
     [](ServerConfig& c, const Value& v) { c.service.layer_split = v.boolean(); }},
    {"dynamic_batching", "--dynamic_batching,--dynamic-batching,!--no-dynamic-batching", Kind::Boolean,
     "batch the steps of different requests together",
     [](ServerConfig& c, const Value& v) { c.service.scheduler.dynamic_batching = v.boolean(); }},
    {"max_batch_tokens", "--max-batch-tokens", Kind::Integer, "most tokens in one device batch",
     [](ServerConfig& c, const Value& v) { c.service.scheduler.max_batch_tokens = count(v, 1 << 24); }},
    {"max_wait_ms", "--max-wait-ms", Kind::Number, "how long a free device waits to fill a batch",
     [](ServerConfig& c, const Value& v) {
       c.service.scheduler.max_wait = std::chrono::microseconds(std::llround(v.number(0, 60000) * 1000));
     }},
    {"max_in_flight", "--max-in-flight", Kind::Integer, "requests admitted at once; beyond it 429",
     [](ServerConfig& c, const Value& v) { c.service.scheduler.max_in_flight = count(v, 1 << 20); }},
    {"gpu_log", "--gpu-log", Kind::String, "GPU log file (\"\": none)",
     [](ServerConfig& c, const Value& v) { c.service.gpu_log_path = v.string(true); }},
    {"gpu_log_interval_s", "--gpu-log-interval-s", Kind::Integer, "seconds between GPU log lines",
     [](ServerConfig& c, const Value& v) { c.service.gpu_log_interval_s = static_cast<int>(v.integer(1, 86400)); }},
    // Ours: request limits.
    {"limits.max_text_chars", "--max-text-chars", Kind::Integer, "most characters in a text",
     [](ServerConfig& c, const Value& v) { c.service.limits.max_text_chars = count(v, 1LL << 30); }},
    {"limits.max_schema_depth", "--max-schema-depth", Kind::Integer, "most nesting levels in a schema",
     [](ServerConfig& c, const Value& v) { c.service.limits.max_schema_depth = count(v, 1024); }},
    {"limits.max_schema_keys", "--max-schema-keys", Kind::Integer, "most keys in a schema",
     [](ServerConfig& c, const Value& v) { c.service.limits.max_schema_keys = count(v, 1 << 20); }},
    {"limits.max_key_chars", "--max-key-chars", Kind::Integer, "most characters in a schema key",
     [](ServerConfig& c, const Value& v) { c.service.limits.max_key_chars = count(v, 1 << 20); }},
    {"limits.max_prompts", "--max-prompts", Kind::Integer, "most prompt evaluations per request",
     [](ServerConfig& c, const Value& v) { c.service.limits.max_prompts = count(v, 1 << 24); }},
    // Ours: HTTP.
    {"host", "--host", Kind::String, "address to listen on",
     [](ServerConfig& c, const Value& v) { c.http.host = v.string(false); }},
    {"port", "--port", Kind::Integer, "port to listen on (0: any free port)",
     [](ServerConfig& c, const Value& v) { c.http.port = static_cast<int>(v.integer(0, 65535)); }},
    {"grpc_port", "--grpc-port", Kind::Integer,
     "port of the Open Inference Protocol over gRPC, on the same host (-1: off; 0: any free port)",
     [](ServerConfig& c, const Value& v) { c.http.grpc_port = static_cast<int>(v.integer(-1, 65535)); }},
    {"io_threads", "--io-threads", Kind::Integer, "HTTP I/O threads (0: automatic)",
     [](ServerConfig& c, const Value& v) { c.http.io_threads = static_cast<int>(v.integer(0, 256)); }},
    {"request_timeout_ms", "--request-timeout-ms", Kind::Integer, "deadline of one prediction; beyond it 504",
     [](ServerConfig& c, const Value& v) { c.http.request_timeout = milliseconds(v); }},
    {"max_body_bytes", "--max-body-bytes", Kind::Integer, "largest request body; beyond it 413",
     [](ServerConfig& c, const Value& v) {
       c.http.max_body_bytes = static_cast<std::size_t>(v.integer(64, 1LL << 32));
     }},
    {"max_batch_items", "--max-batch-items", Kind::Integer, "most requests in one batch request; beyond it 413",
     [](ServerConfig& c, const Value& v) { c.http.max_batch_items = count(v, 1 << 20); }},
    {"header_timeout_ms", "--header-timeout-ms", Kind::Integer, "time to receive a request's headers",
     [](ServerConfig& c, const Value& v) { c.http.header_timeout = milliseconds(v); }},
    {"body_timeout_ms", "--body-timeout-ms", Kind::Integer, "time to receive a request's body",
     [](ServerConfig& c, const Value& v) { c.http.body_timeout = milliseconds(v); }},
    {"write_timeout_ms", "--write-timeout-ms", Kind::Integer, "time to send a response",
     [](ServerConfig& c, const Value& v) { c.http.write_timeout = milliseconds(v); }},
    {"keepalive_timeout_ms", "--keepalive-timeout-ms", Kind::Integer,
     "idle time before a keep-alive connection is closed",
     [](ServerConfig& c, const Value& v) { c.http.keepalive_timeout = milliseconds(v); }},
    {"shutdown_timeout_ms", "--shutdown-timeout-ms", Kind::Integer,
     "on SIGTERM, how long in-flight requests may finish",
     [](ServerConfig& c, const Value& v) { c.http.shutdown_timeout = milliseconds(v); }},
    {"access_log", "--access-log", Kind::String, "access log: \"-\" stdout, \"\" off, or a file",
     [](ServerConfig& c, const Value& v) { c.http.access_log = v.string(true); }},
    // Access control and CORS (docs/security.md).
    {"api_keys", "--api-key", Kind::String,
     "a client API key (repeatable); requests then need Authorization: Bearer <key>",
     [](ServerConfig& c, const Value& v) {
       for (auto& key : v.list("\n")) c.http.api_keys.push_back(std::move(key));
     }},
    {"api_keys_file", "--api-keys-file", Kind::String, "file of client API keys, one a line; re-read on SIGHUP",
     [](ServerConfig& c, const Value& v) { c.http.api_keys_file = v.string(false); }},
    {"admin_key", "--admin-key", Kind::String,
     "key for /api/fallback and /api/restore (without it they answer loopback clients only)",
     [](ServerConfig& c, const Value& v) { c.http.admin_key = v.string(false); }},
    {"protect_probes", "--protect-probes", Kind::Boolean, "/health, /v2/health/* and /metrics need a key too",
     [](ServerConfig& c, const Value& v) { c.http.protect_probes = v.boolean(); }},
    {"cors_allow_origin", "--cors-allow-origin", Kind::String,
     "origins allowed by CORS: a comma-separated list (repeatable) or \"*\"; default none",
     [](ServerConfig& c, const Value& v) {
       for (auto& origin : v.list(",\n")) c.http.cors_allow_origins.push_back(std::move(origin));
     }},
    // TLS (docs/security.md).
    {"tls_cert", "--tls-cert", Kind::String,
     "PEM certificate chain (the server's own first): serve HTTPS instead of HTTP; re-read on SIGHUP",
     [](ServerConfig& c, const Value& v) { c.http.tls_cert = v.string(false); }},
    {"tls_key", "--tls-key", Kind::String, "PEM private key of tls_cert (unencrypted); re-read on SIGHUP",
     [](ServerConfig& c, const Value& v) { c.http.tls_key = v.string(false); }},
    {"log_level", "--log-level", Kind::String, "trace, debug, info, warn, error, critical or off",
     [](ServerConfig& c, const Value& v) {
       c.log_level = v.one_of({"trace", "debug", "info", "warn", "warning", "error", "critical", "off"});
       if (c.log_level == "warning") c.log_level = "warn";
     }},
  };
  return table;
}
// clang-format on

const Field* find_field(std::string_view key) {
  for (const Field& field : fields()) {
    if (field.key == key) return &field;
  }
  return nullptr;
}

std::string first_flag(std::string_view flags) { return std::string(flags.substr(0, flags.find(','))); }

// A flag's text as JSON of the field's kind when it reads as one; otherwise as a string, so that the
// field's own check reports the wrong type with the usual message.
Json flag_json(Kind kind, const std::string& text) {
  if (kind == Kind::Integer || kind == Kind::Number) {
    Json parsed = Json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (parsed.is_number()) return parsed;
  }
  return text;
}

}  // namespace

int HttpOptions::resolved_io_threads() const {
  if (io_threads > 0) return io_threads;
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  return std::clamp(cores / 2, 1, 4);
}

ModelSpec parse_model_spec(const std::string& text) {
  const auto equals = text.find('=');
  if (equals != std::string::npos && equals + 1 < text.size() && valid_model_name(text.substr(0, equals))) {
    return {text.substr(0, equals), text.substr(equals + 1)};
  }
  return {"", text};
}

std::string model_name_of(const std::string& model_path) {
  // "/srv/models/uninlu/" names "uninlu": the last non-empty part of the path.
  const std::string name = std::filesystem::path(model_path).lexically_normal().parent_path().filename().string();
  const std::string last = std::filesystem::path(model_path).filename().string();
  if (!last.empty() && last != "." && last != "..") return last;
  if (!name.empty() && name != "." && name != "..") return name;
  return "uninlu";
}

std::string default_model_dir() {
  if (const char* env = std::getenv("UNINLU_MODEL"); env != nullptr && *env != '\0') return env;
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const fs::path installed = (exe.parent_path() / ".." / "share" / "uninlu" / "model").lexically_normal();
    if (fs::is_directory(installed, ec)) return installed.string();
  }
  return UNINLU_DEFAULT_MODEL_DIR;
}

void apply_config_json(const Json& file, std::string_view source, ServerConfig& config) {
  if (!file.is_object()) {
    fail(ErrorKind::Usage,
         "config file " + std::string(source) + " must hold a JSON object, not " + std::string(file.type_name()));
  }
  const auto apply = [&](const std::string& key, const Json& value) {
    const Field* field = find_field(key);
    if (field == nullptr) {
      config.unknown_fields.push_back(key);
      return;
    }
    if (value.is_null()) return;  // "x": null reads as "not set", as Python's config.get("x") would
    field->set(config, Value(value, key + " in " + std::string(source)));
  };
  for (const auto& [key, value] : file.items()) {
    if (key == "limits" && !value.is_null()) {
      if (!value.is_object()) {
        Value(value, "limits in " + std::string(source)).invalid("must be an object like {\"max_text_chars\": 10000}");
      }
      for (const auto& [sub_key, sub_value] : value.items()) apply("limits." + sub_key, sub_value);
      continue;
    }
    apply(key, value);
  }
}

void apply_config_file(const std::string& path, ServerConfig& config) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    fail(ErrorKind::Usage, "cannot read config file '" + path + "': " + std::generic_category().message(errno));
  }
  std::ostringstream text;
  text << in.rdbuf();
  Json file;
  try {
    file = Json::parse(text.str());
  } catch (const Json::exception& e) {  // parse_error; out_of_range for a number like 1e999
    std::string what = e.what();
    if (const auto tag_end = what.find("] "); !what.empty() && what.front() == '[' && tag_end != std::string::npos) {
      what = what.substr(tag_end + 2);
    }
    fail(ErrorKind::Usage, "config file '" + path + "' is not valid JSON: " + what);
  }
  config.config_file = path;
  apply_config_json(file, path, config);
}

struct ServeFlags::Bound {
  const Field* field = nullptr;
  CLI::Option* option = nullptr;
  std::string text;
  bool flag = false;
};

ServeFlags::ServeFlags() = default;
ServeFlags::~ServeFlags() = default;

void ServeFlags::add_to(CLI::App& app) {
  app.add_option("--config,-c", config_file_, "config.json of the original app, or ours (see docs/configuration.md)");
  for (const Field& field : fields()) {
    if (field.flags.empty()) continue;
    auto bound = std::make_unique<Bound>();
    bound->field = &field;
    const std::string names(field.flags);
    const std::string help = std::string(field.help) + " [config: " + std::string(field.key) + "]";
    if (field.kind == Kind::Boolean) {
      bound->option = app.add_flag(names, bound->flag, help);
    } else {
      bound->option = app.add_option(names, bound->text, help);
      bound->option->type_name(field.kind == Kind::String ? "TEXT" : "NUMBER");
      // Repeatable list flags: CLI11 joins the values with newlines, which Value::list() splits.
      if (field.key == "api_keys" || field.key == "cors_allow_origin" || field.key == "model_path") {
        bound->option->multi_option_policy(CLI::MultiOptionPolicy::Join);
      }
    }
    bound_.push_back(std::move(bound));
  }
}

void ServeFlags::apply(ServerConfig& config) const {
  for (const auto& bound : bound_) {
    if (bound->option->count() == 0) continue;
    const Field& field = *bound->field;
    const Json value = field.kind == Kind::Boolean ? Json(bound->flag) : flag_json(field.kind, bound->text);
    field.set(config, Value(value, first_flag(field.flags)));
  }
}

void finalize_server_config(ServerConfig& config) {
  const auto& http = config.http;
  if (http.tls_cert.empty() != http.tls_key.empty()) {
    const bool cert = !http.tls_cert.empty();
    fail(ErrorKind::Usage, std::string(cert ? "--tls-cert (tls_cert) is set but --tls-key (tls_key) is not"
                                            : "--tls-key (tls_key) is set but --tls-cert (tls_cert) is not") +
                               ": HTTPS needs both the certificate and its private key");
  }
  if (config.models.empty()) {
    config.models.push_back({"", default_model_dir()});
    config.model_path_from_default = true;
  }
  for (std::size_t i = 0; i < config.models.size(); ++i) {
    ModelSpec& model = config.models[i];
    if (model.name.empty()) model.name = i == 0 && !config.http.model_name.empty() ? config.http.model_name
                                                                                    : model_name_of(model.path);
    if (!valid_model_name(model.name)) {
      fail(ErrorKind::Usage, "invalid model name \"" + model.name + "\" (for " + model.path +
                                 "): use letters, digits, '.', '_' and '-' (at most 128), as it appears in URLs");
    }
    for (std::size_t j = 0; j < i; ++j) {
      if (config.models[j].name == model.name) {
        fail(ErrorKind::Usage, "two models are named \"" + model.name + "\" (" + config.models[j].path + " and " +
                                   model.path + "): name them apart with --model NAME=PATH");
      }
    }
  }
  config.service.model_path = config.models.front().path;
  config.http.model_name = config.models.front().name;
  if (config.gpu_precision) {
    config.service.gpu_precision = *config.gpu_precision;
  } else if (config.use_amp.has_value() && !*config.use_amp) {
    config.service.gpu_precision = Precision::F32;
  } else {
    config.service.gpu_precision = config.amp_dtype.value_or(Precision::F16);
  }
}

ServerConfig resolve_server_config(const ServeFlags& flags) {
  ServerConfig config;
  if (!flags.config_file().empty()) apply_config_file(flags.config_file(), config);
  flags.apply(config);
  finalize_server_config(config);
  return config;
}

Json http_options_json(const HttpOptions& o) {
  Json j;
  j["host"] = o.host;
  j["port"] = o.port;
  j["grpc_port"] = o.grpc_port;
  j["io_threads"] = o.resolved_io_threads();
  j["request_timeout_ms"] = o.request_timeout.count();
  j["max_body_bytes"] = o.max_body_bytes;
  j["max_batch_items"] = o.max_batch_items;
  j["header_timeout_ms"] = o.header_timeout.count();
  j["body_timeout_ms"] = o.body_timeout.count();
  j["write_timeout_ms"] = o.write_timeout.count();
  j["keepalive_timeout_ms"] = o.keepalive_timeout.count();
  j["shutdown_timeout_ms"] = o.shutdown_timeout.count();
  j["access_log"] = o.access_log;
  // Whether keys are configured, never the keys themselves.
  j["api_keys"] = o.api_keys.size();
  j["api_keys_file"] = o.api_keys_file;
  j["admin_key_set"] = !o.admin_key.empty();
  j["protect_probes"] = o.protect_probes;
  j["cors_allow_origin"] = o.cors_allow_origins;
  j["tls"] = o.tls_enabled();
  j["tls_cert"] = o.tls_cert;  // the paths, not the key
  j["tls_key"] = o.tls_key;
  j["model_name"] = o.model_name;
  return j;
}

}  // namespace uninlu
