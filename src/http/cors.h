#pragma once
// CORS for browsers on other origins (--cors-allow-origin). Off by default: no CORS headers at all, so
// browsers keep other origins' scripts from reading answers. With a list of origins (or "*"), a preflight
// OPTIONS from an allowed origin is answered 204 with the allowed methods and headers, and every answer
// to an allowed origin carries Access-Control-Allow-Origin (the origin echoed) and Vary: Origin.
#include <optional>
#include <string>
#include <vector>

#include "http/http_message.h"

namespace uninlu {

class CorsPolicy {
 public:
  explicit CorsPolicy(std::vector<std::string> allowed_origins);

  // The answer to a preflight (OPTIONS with an Origin) from an allowed origin; nullopt otherwise.
  std::optional<HttpResponse> preflight(const HttpRequest& request) const;
  // Adds the CORS headers to an answer for an allowed origin.
  void decorate(const HttpRequest& request, HttpResponse& response) const;

 private:
  bool allowed(const std::string& origin) const;
  std::vector<std::string> origins_;
  bool any_ = false;
};

}  // namespace uninlu
