#include "http/router.h"

#include <algorithm>

#include "http/json_response.h"

namespace uninlu {

void Router::add(std::string_view method, std::string pattern, Handler handler, std::string label) {
  Route route;
  route.method = method;
  route.label = label.empty() ? pattern : std::move(label);
  if (!pattern.empty() && pattern.back() == '*') {
    route.prefix = true;
    pattern.pop_back();
  }
  route.pattern = std::move(pattern);
  route.handler = std::move(handler);
  routes_.push_back(std::move(route));
}

bool Router::path_matches(const Route& route, std::string_view path) const {
  if (!route.prefix) return path == route.pattern;
  return path.size() > route.pattern.size() && path.substr(0, route.pattern.size()) == route.pattern;
}

Router::Match Router::match(std::string_view method, std::string_view path) const {
  Match result;
  std::vector<std::string> allowed;
  // Exact routes win over prefix routes, whatever the order they were added in.
  for (const bool prefix_pass : {false, true}) {
    for (const Route& route : routes_) {
      if (route.prefix != prefix_pass || !path_matches(route, path)) continue;
      const bool method_ok = route.method == method || (method == "HEAD" && route.method == "GET");
      if (method_ok) {
        result.handler = &route.handler;
        result.label = route.label;
        result.allow.clear();
        return result;
      }
      result.label = route.label;
      allowed.push_back(route.method);
      if (route.method == "GET") allowed.emplace_back("HEAD");
    }
    if (!allowed.empty()) break;
  }
  std::sort(allowed.begin(), allowed.end());
  allowed.erase(std::unique(allowed.begin(), allowed.end()), allowed.end());
  for (const std::string& m : allowed) {
    if (!result.allow.empty()) result.allow += ", ";
    result.allow += m;
  }
  return result;
}

std::string_view Router::dispatch(Exchange& exchange) const {
  const HttpRequest& request = exchange.request;
  const Match found = match(request.method, request.path);
  if (found.handler != nullptr) {
    (*found.handler)(exchange);
    return found.label;
  }
  if (found.allow.empty()) {
    exchange.respond(error_response(
        ErrorKind::NotFound,
        "no route for " + request.method + " " + request.path + " (the API is POST /api/predict; see GET /info)",
        request.request_id));
  } else {
    HttpResponse response = error_response(ErrorKind::MethodNotAllowed,
                                           request.path + " does not accept " + request.method + "; use " + found.allow,
                                           request.request_id);
    response.headers.emplace_back("Allow", found.allow);
    exchange.respond(std::move(response));
  }
  return found.label;
}

std::string_view method_label(std::string_view method) noexcept {
  for (const std::string_view known : {"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"}) {
    if (method == known) return known;
  }
  return "other";
}

}  // namespace uninlu
