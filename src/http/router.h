#pragma once
// Maps (method, path) to a handler. Paths are matched exactly, or by prefix for a route declared with a
// trailing "*" ("/assets/*"). Each route has a label of bounded cardinality (the template, never the raw
// path) for metrics; unknown paths get "other". HEAD is served by GET routes.
#include <string>
#include <string_view>
#include <vector>

#include "http/http_message.h"

namespace uninlu {

class Router {
 public:
  struct Match {
    const Handler* handler = nullptr;  // null: 404 (allow empty) or 405 (allow lists the methods)
    std::string_view label = "other";
    std::string allow;  // for the Allow header of a 405
  };

  // `pattern`: "/api/predict", or "/assets/*" for every path under the prefix. `label` defaults to the
  // pattern.
  void add(std::string_view method, std::string pattern, Handler handler, std::string label = {});

  Match match(std::string_view method, std::string_view path) const;

  // Dispatches to the matched handler, or answers 404/405 with a JSON error itself.
  // Returns the route label for metrics.
  std::string_view dispatch(Exchange& exchange) const;

 private:
  struct Route {
    std::string method;
    std::string pattern;  // without the trailing "*" for prefix routes
    bool prefix = false;
    std::string label;
    Handler handler;
  };
  bool path_matches(const Route& route, std::string_view path) const;
  std::vector<Route> routes_;
};

// "GET" → "GET"; an unusual method → "other", so that a metrics label cannot be used to grow the registry.
std::string_view method_label(std::string_view method) noexcept;

}  // namespace uninlu
