#include "http/cors.h"

#include <algorithm>
#include <utility>

namespace uninlu {

CorsPolicy::CorsPolicy(std::vector<std::string> allowed_origins) : origins_(std::move(allowed_origins)) {
  any_ = std::find(origins_.begin(), origins_.end(), "*") != origins_.end();
}

bool CorsPolicy::allowed(const std::string& origin) const {
  if (origin.empty()) return false;
  return any_ || std::find(origins_.begin(), origins_.end(), origin) != origins_.end();
}

std::optional<HttpResponse> CorsPolicy::preflight(const HttpRequest& request) const {
  if (request.method != "OPTIONS" || !allowed(request.origin)) return std::nullopt;
  HttpResponse response;
  response.status = 204;
  response.content_type = "text/plain";
  response.headers.emplace_back("Access-Control-Allow-Methods", "GET, HEAD, POST, OPTIONS");
  response.headers.emplace_back("Access-Control-Allow-Headers", "Authorization, Content-Type, X-Request-Id");
  response.headers.emplace_back("Access-Control-Max-Age", "600");
  decorate(request, response);
  return response;
}

void CorsPolicy::decorate(const HttpRequest& request, HttpResponse& response) const {
  if (origins_.empty()) return;
  // Whatever the origin, the answer depends on it: caches must not hand one origin's answer to another.
  response.headers.emplace_back("Vary", "Origin");
  if (!allowed(request.origin)) return;
  response.headers.emplace_back("Access-Control-Allow-Origin", request.origin);
  response.headers.emplace_back("Access-Control-Expose-Headers", "X-Request-Id");
}

}  // namespace uninlu
