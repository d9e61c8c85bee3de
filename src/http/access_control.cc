#include "http/access_control.h"

#include <spdlog/spdlog.h>

#include <string_view>

#include "http/json_response.h"

namespace uninlu {

namespace {

enum class RouteClass { Open, Probe, Admin, Protected };

bool starts_with(std::string_view text, std::string_view prefix) { return text.substr(0, prefix.size()) == prefix; }

RouteClass classify(std::string_view path) {
  // Loading and unloading models changes the service, as /api/fallback does.
  if (path == "/api/fallback" || path == "/api/restore" || starts_with(path, "/v2/repository/models/"))
    return RouteClass::Admin;
  if (path == "/health" || path == "/metrics" || starts_with(path, "/v2/health/")) return RouteClass::Probe;
  // The v2 model routes serve predictions and metadata, as /api/predict and /info do.
  if (starts_with(path, "/api/") || path == "/info" || path == "/v2" || starts_with(path, "/v2/models/") ||
      starts_with(path, "/v2/repository/"))
    return RouteClass::Protected;
  return RouteClass::Open;
}

// "Bearer KEY" (scheme case-insensitive, RFC 7235); empty when absent or another scheme.
std::string_view bearer_token(std::string_view header) {
  constexpr std::string_view scheme = "bearer ";
  if (header.size() <= scheme.size()) return {};
  for (std::size_t i = 0; i < scheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(header[i])) != scheme[i]) return {};
  }
  header.remove_prefix(scheme.size());
  while (!header.empty() && header.front() == ' ') header.remove_prefix(1);
  while (!header.empty() && header.back() == ' ') header.remove_suffix(1);
  return header;
}

HttpResponse unauthorized(const HttpRequest& request, std::string_view message) {
  HttpResponse response = http_error_response(401, "unauthorized", message, request.request_id);
  response.headers.emplace_back("WWW-Authenticate", "Bearer");
  return response;
}

HttpResponse forbidden(const HttpRequest& request, std::string_view message) {
  return http_error_response(403, "forbidden", message, request.request_id);
}

}  // namespace

AccessControl::AccessControl(const HttpOptions& options)
      : static_keys_(options.api_keys),
      keys_file_(options.api_keys_file),
      keys_required_(!options.api_keys.empty() || !options.api_keys_file.empty()),
      protect_probes_(options.protect_probes) {
  std::vector<std::string> keys = static_keys_;
  if (!keys_file_.empty()) {
    for (auto& key : read_key_file(keys_file_)) keys.push_back(std::move(key));
  }
  client_keys_.replace(keys);
  if (!options.admin_key.empty()) admin_keys_.replace({options.admin_key});
}

void AccessControl::reload() {
  if (keys_file_.empty()) {
    spdlog::info("SIGHUP: no api_keys_file to re-read");
    return;
  }
  try {
    std::vector<std::string> keys = static_keys_;
    for (auto& key : read_key_file(keys_file_)) keys.push_back(std::move(key));
    client_keys_.replace(keys);
    spdlog::info("SIGHUP: re-read {}: {} client key(s)", keys_file_, keys.size());
  } catch (const std::exception& e) {
    spdlog::error("SIGHUP: keeping the keys in use: {}", e.what());
  }
}

std::optional<HttpResponse> AccessControl::check(const HttpRequest& request, std::string& fingerprint) const {
  const std::string_view key = bearer_token(request.authorization);
  fingerprint = key.empty() ? "-" : key_fingerprint(key);
  const bool admin = !key.empty() && admin_keys_.contains(key);
  switch (classify(request.path)) {
    case RouteClass::Open:
      return std::nullopt;
    case RouteClass::Admin:
      if (admin_keys_.empty()) {
        if (request.from_loopback) return std::nullopt;
        return forbidden(request, request.path +
                                      " changes the service: with no admin_key configured it answers only "
                                      "clients on this machine (loopback)");
      }
      if (admin) return std::nullopt;
      return unauthorized(request, request.path + " needs the admin key: Authorization: Bearer <admin_key>");
    case RouteClass::Probe:
      if (!protect_probes_ || (!keys_required_ && admin_keys_.empty())) return std::nullopt;
      break;
    case RouteClass::Protected:
      if (!keys_required_) return std::nullopt;
      break;
  }
  if (admin || (!key.empty() && client_keys_.contains(key))) return std::nullopt;
  return unauthorized(request,
                      key.empty() ? "an API key is required: Authorization: Bearer <key>" : "the API key is not valid");
}

}  // namespace uninlu
